import { createRequire } from "node:module";
import { configVariable, defineConfig } from "hardhat/config";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";

// The compiler download fails offline: every profile uses solcjs from the npm `solc` package.
// Hardhat does not check `version` against that file, so read it from solc's package.json.
// forge-std comes from @layerzerolabs/toolbox-foundry: see remappings.txt.
const require = createRequire(import.meta.url);
const solcPath: string = require.resolve("solc/soljson.js");
const solcVersion: string = (require("solc/package.json") as { version: string }).version;

const optimizer = { enabled: true, runs: 200 };

const compiler = (evmVersion?: string) => ({
  version: solcVersion,
  path: solcPath,
  settings: { optimizer, viaIR: false, ...(evmVersion ? { evmVersion } : {}) },
});

// A chain reached through RPC_URL / DEPLOYER_PRIVATE_KEY from `.env` (see .env.example).
const hasTestnet = Boolean(process.env.RPC_URL);

export default defineConfig({
  plugins: [hardhatToolboxViem],
  solidity: {
    // OpenZeppelin's TimelockController is deployed as is (governance, deploy/modules/OmniTensor.ts):
    // build an artifact for it.
    npmFilesToBuild: ["@openzeppelin/contracts/governance/TimelockController.sol"],
    profiles: {
      default: compiler(),
      production: compiler(),
      // ganache (the second EVM client) stops at shanghai: no mcopy / transient storage.
      shanghai: compiler("shanghai"),
    },
  },
  paths: {
    ignition: "deploy",
  },
  test: {
    solidity: {
      fuzz: { runs: Number(process.env.FUZZ_RUNS ?? 256) },
      invariant: {
        runs: Number(process.env.INVARIANT_RUNS ?? 256),
        depth: Number(process.env.INVARIANT_DEPTH ?? 50),
        failOnRevert: false,
      },
    },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // `npm run node` (hardhat node): besides the block each transaction gets (automine), a block
    // every second, so that chain time moves and a node with `confirmations` > 0 sees its events
    // confirmed without other traffic (docs/operator.md). OMNITENSOR_NODE_BLOCK_MS changes the
    // interval; 0 turns interval mining off (automine only: no block without a transaction).
    node: {
      type: "edr-simulated",
      chainType: "l1",
      mining: { auto: true, interval: Number(process.env.OMNITENSOR_NODE_BLOCK_MS ?? 1000) },
    },
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545",
    },
    ...(hasTestnet
      ? {
          testnet: {
            type: "http" as const,
            chainType: "generic" as const,
            url: configVariable("RPC_URL"),
            accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
          },
        }
      : {}),
  },
});
