/**
 * Ponder config: the four OmniTensor contracts of one deployment file (and its governor and
 * timelock when it has them), from its startBlock
 * (indexer/deployment.ts says which environment variables choose the file and the RPC).
 */
import { createConfig } from "ponder";
import {
  modelRegistryAbi,
  nodeStakingAbi,
  omniGovernorAbi,
  omniTokenAbi,
  taskManagerAbi,
  timelockControllerAbi,
} from "../workers/src/chain/abis.ts";
import { indexerTarget } from "./deployment.ts";

const { deployment, rpcUrl, pollingMs } = indexerTarget();
const { contracts, startBlock } = deployment;
/** A deployment without governance (e.g. the shanghai build) names no governor: watch an address that never logs. */
const NONE = "0x0000000000000000000000000000000000000000" as const;

/** PostgreSQL when DATABASE_URL is set, else PGlite in PONDER_PGLITE_DIR (default indexer/.ponder/pglite). */
const database = process.env.DATABASE_URL
  ? { kind: "postgres" as const, connectionString: process.env.DATABASE_URL }
  : { kind: "pglite" as const, directory: process.env.PONDER_PGLITE_DIR || undefined };

export default createConfig({
  database,
  ordering: "multichain",
  chains: {
    omnitensor: {
      id: deployment.chainId,
      rpc: rpcUrl,
      pollingInterval: pollingMs,
      // A local devnet is restarted with the same chain id and new contracts: never reuse its RPC cache.
      disableCache: deployment.chainId === 31337 || deployment.chainId === 1337,
    },
  },
  contracts: {
    OmniToken: { chain: "omnitensor", abi: omniTokenAbi, address: contracts.OmniToken, startBlock },
    NodeStaking: { chain: "omnitensor", abi: nodeStakingAbi, address: contracts.NodeStaking, startBlock },
    ModelRegistry: {
      chain: "omnitensor",
      abi: modelRegistryAbi,
      address: contracts.ModelRegistry,
      startBlock,
    },
    TaskManager: { chain: "omnitensor", abi: taskManagerAbi, address: contracts.TaskManager, startBlock },
    OmniGovernor: {
      chain: "omnitensor",
      abi: omniGovernorAbi,
      address: contracts.OmniGovernor ?? NONE,
      startBlock,
    },
    TimelockController: {
      chain: "omnitensor",
      abi: timelockControllerAbi,
      address: contracts.TimelockController ?? NONE,
      startBlock,
    },
  },
});
