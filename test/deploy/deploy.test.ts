/**
 * `npm run deploy -- --network localhost` against a real `hardhat node` over RPC: the Ignition
 * module deploys the four contracts, and the addresses file (PROTOCOL.md §10) is written, valid,
 * and points at wired, working contracts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createPublicClient, http, parseAbi, type Address } from "viem";
import { startHardhatNode, type LocalChain } from "../support/devnet.ts";
import { loadDeployment } from "../../workers/src/chain/deployment.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => res({ code: code ?? 1, out }));
  });
}

describe("npm run deploy (Ignition) against hardhat node", () => {
  let chain: LocalChain;
  let dir: string;
  const deploymentId = `test-deploy-${process.pid}`;

  before(async () => {
    chain = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "omnit-deploy-"));
  });
  after(async () => {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(join(ROOT, "deploy", "deployments", deploymentId), { recursive: true, force: true });
  });

  it("writes deployments/<chainId>.json with the four wired contracts", async () => {
    const env = {
      LOCALHOST_RPC_URL: chain.rpcUrl,
      DEPLOYMENTS_DIR: dir,
      IGNITION_DEPLOYMENT_ID: deploymentId,
      CI: "true",
    };
    const { code, out } = await run(
      "npx",
      ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"],
      env,
    );
    assert.equal(code, 0, out);

    const raw = JSON.parse(await readFile(join(dir, `${chain.chainId}.json`), "utf8"));
    assert.equal(raw.chainId, chain.chainId);
    assert.ok(
      Number.isInteger(raw.startBlock) && raw.startBlock >= 1,
      "startBlock is the first deploy block",
    );
    const d = await loadDeployment(chain.chainId, { dir, env: {} });

    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    for (const [name, address] of Object.entries(d.contracts)) {
      const code = await client.getCode({ address: address as Address });
      assert.ok(code && code.length > 2, `${name} has code`);
    }
    // the first deploy block holds a contract creation
    const block = await client.getBlock({ blockNumber: BigInt(d.startBlock), includeTransactions: true });
    assert.ok(block.transactions.some((t) => typeof t !== "string" && t.to === null));

    const abi = parseAbi([
      "function taskManager() view returns (address)",
      "function symbol() view returns (string)",
      "function balanceOf(address) view returns (uint256)",
      "function totalSupply() view returns (uint256)",
      "function treasury() view returns (address)",
    ]);
    assert.equal(
      await client.readContract({ address: d.contracts.NodeStaking, abi, functionName: "taskManager" }),
      d.contracts.TaskManager,
    );
    assert.equal(
      await client.readContract({ address: d.contracts.OmniToken, abi, functionName: "symbol" }),
      "OMNIT",
    );
    const treasury = await client.readContract({
      address: d.contracts.TaskManager,
      abi,
      functionName: "treasury",
    });
    const supply = await client.readContract({
      address: d.contracts.OmniToken,
      abi,
      functionName: "totalSupply",
    });
    assert.equal(
      await client.readContract({
        address: d.contracts.OmniToken,
        abi,
        functionName: "balanceOf",
        args: [treasury],
      }),
      supply,
      "the treasury (the deployer by default) holds the whole supply",
    );

    // a second run is idempotent: same addresses
    const again = await run("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], env);
    assert.equal(again.code, 0, again.out);
    const d2 = await loadDeployment(chain.chainId, { dir, env: {} });
    assert.deepEqual(d2.contracts, d.contracts);
  });

  it("loadDeployment names the missing file and what to run", async () => {
    await assert.rejects(loadDeployment(999_999, { dir, env: {} }), /npm run deploy -- --network/);
  });
});
