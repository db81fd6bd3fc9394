/**
 * `npm run deploy -- --network localhost` against a real `hardhat node` over RPC: the Ignition
 * module deploys the protocol's contracts and governance, and the addresses file (PROTOCOL.md §10)
 * is written, valid, and points at wired, working contracts. On a local chain the deployer stays
 * owner; with HANDOVER=1 (what every other network does) the timelock owns NodeStaking and
 * TaskManager and the deployer holds no timelock role.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createPublicClient, http, parseAbi, type Address } from "viem";
import { devAddress, startHardhatNode, type LocalChain } from "../support/devnet.ts";
import { loadDeployment } from "../../workers/src/chain/deployment.ts";
import { TIMELOCK_ROLES } from "../../deploy/modules/OmniTensor.ts";

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
  const handoverId = `test-deploy-handover-${process.pid}`;

  before(async () => {
    chain = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "omnit-deploy-"));
  });
  after(async () => {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
    for (const id of [deploymentId, handoverId])
      await rm(join(ROOT, "deploy", "deployments", id), { recursive: true, force: true });
  });

  const ownershipAbi = parseAbi([
    "function owner() view returns (address)",
    "function hasRole(bytes32,address) view returns (bool)",
    "function getMinDelay() view returns (uint256)",
    "function timelock() view returns (address)",
    "function token() view returns (address)",
    "function votingPeriod() view returns (uint256)",
  ]);

  it("writes deployments/<chainId>.json with the wired contracts and governance", async () => {
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
    assert.deepEqual(Object.keys(raw.contracts).sort(), [
      "ModelRegistry",
      "NodeStaking",
      "OmniGovernor",
      "OmniToken",
      "TaskManager",
      "TimelockController",
    ]);

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

    // governance: wired to OMNIT and the timelock, with the local parameters (deploy/parameters/localhost.json)
    const gov = { address: d.contracts.OmniGovernor!, abi: ownershipAbi } as const;
    assert.equal(await client.readContract({ ...gov, functionName: "token" }), d.contracts.OmniToken);
    assert.equal(
      await client.readContract({ ...gov, functionName: "timelock" }),
      d.contracts.TimelockController,
    );
    assert.equal(await client.readContract({ ...gov, functionName: "votingPeriod" }), 50n);
    const tl = { address: d.contracts.TimelockController!, abi: ownershipAbi } as const;
    assert.equal(await client.readContract({ ...tl, functionName: "getMinDelay" }), 60n);
    // local chain: the deployer (the treasury here) stays owner
    for (const c of [d.contracts.NodeStaking, d.contracts.TaskManager])
      assert.equal(
        await client.readContract({ address: c, abi: ownershipAbi, functionName: "owner" }),
        treasury,
      );

    // a second run is idempotent: same addresses
    const again = await run("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], env);
    assert.equal(again.code, 0, again.out);
    const d2 = await loadDeployment(chain.chainId, { dir, env: {} });
    assert.deepEqual(d2.contracts, d.contracts);
  });

  it("HANDOVER=1 hands NodeStaking and TaskManager to the timelock; the deployer keeps no timelock role", async () => {
    const out = join(dir, "handover");
    const env = {
      LOCALHOST_RPC_URL: chain.rpcUrl,
      DEPLOYMENTS_DIR: out,
      IGNITION_DEPLOYMENT_ID: handoverId,
      HANDOVER: "1",
      CI: "true",
    };
    const { code, out: log } = await run(
      "npx",
      ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"],
      env,
    );
    assert.equal(code, 0, log);
    assert.match(log, /TaskManager owner: 0x[0-9a-fA-F]{40} \(the governance timelock\)/);
    const d = await loadDeployment(chain.chainId, { dir: out, env: {} });
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    const timelock = d.contracts.TimelockController!;
    for (const c of [d.contracts.NodeStaking, d.contracts.TaskManager])
      assert.equal(
        await client.readContract({ address: c, abi: ownershipAbi, functionName: "owner" }),
        timelock,
      );
    const tl = { address: timelock, abi: ownershipAbi } as const;
    assert.equal(
      await client.readContract({ ...tl, functionName: "getMinDelay" }),
      60n,
      "delay set by the handover",
    );
    const deployer = devAddress(0); // hardhat node's first account
    for (const role of Object.values(TIMELOCK_ROLES))
      assert.equal(
        await client.readContract({ ...tl, functionName: "hasRole", args: [role, deployer] }),
        false,
        `the deployer holds no timelock role ${role}`,
      );
    for (const role of [
      TIMELOCK_ROLES.PROPOSER_ROLE,
      TIMELOCK_ROLES.EXECUTOR_ROLE,
      TIMELOCK_ROLES.CANCELLER_ROLE,
    ])
      assert.equal(
        await client.readContract({
          ...tl,
          functionName: "hasRole",
          args: [role, d.contracts.OmniGovernor!],
        }),
        true,
      );
  });

  it("loadDeployment names the missing file and what to run", async () => {
    await assert.rejects(loadDeployment(999_999, { dir, env: {} }), /npm run deploy -- --network/);
  });
});
