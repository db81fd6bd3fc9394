/**
 * docs/operator.md §7, "the whole path on a local chain", followed through the CLI as a newcomer
 * would: a `hardhat node` (the `npm run node` network: a block every second), the contracts
 * deployed through the Ignition module (what `npm run deploy` runs; written to a deployments
 * folder of this test instead of ./deployments), then only `omnitensor` commands, each one a
 * real process of the binary: model register (the requester, Hardhat account #0), a fresh node
 * key (node status for its address, dev faucet, node stake), `node run` as a separate process,
 * task create, task status / task result, dev advance 20h and 4h; the node takes the seat,
 * reveals, finalizes and is paid. Keys come from REQUESTER_PRIVATE_KEY and NODE_PRIVATE_KEY as
 * the docs say, with a misleading PRIVATE_KEY set too (it must not win).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createPublicClient, http, parseEther, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { deployOmniTensor, devKey, startHardhatNode, waitFor, type LocalChain } from "../support/devnet.ts";
import { ensureRedis, wipeRedis } from "../support/redis.ts";
import { LOG_DIR, ROOT, startBot, type BotProcess } from "./support.ts";
import { omniTokenAbi, taskManagerAbi } from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";

const REDIS_DB = 13;
const PREFIX = `e2e-operator-${process.pid}`;

/** Runs `omnitensor <args>` (the real binary) with the given environment; resolves with its exit code and output. */
function omnitensor(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(ROOT, "workers", "bin", "omnitensor.mjs"), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("close", (code) => res({ code: code ?? 1, out, err }));
  });
}

describe("docs/operator.md, the whole path on a local chain, through the CLI", () => {
  let chain: LocalChain;
  let d: Deployment;
  let dir: string;
  let env: Record<string, string>;
  let node: BotProcess | undefined;
  const nodeKey = generatePrivateKey();
  const nodeAddress = privateKeyToAccount(nodeKey).address;
  const requesterKey = devKey(0);

  const ok = async (args: string[], extra: Record<string, string> = {}) => {
    const r = await omnitensor([...args, "--deployments", join(dir, "deployments")], { ...env, ...extra });
    assert.equal(r.code, 0, `omnitensor ${args.join(" ")}:\n${r.err}\n${r.out}`);
    return r;
  };
  const pc = () => createPublicClient({ transport: http(chain.rpcUrl) });
  const task = (id: bigint) =>
    pc().readContract({
      address: d.contracts.TaskManager,
      abi: taskManagerAbi,
      functionName: "getTask",
      args: [id],
    });
  const omnit = (a: Address) =>
    pc().readContract({
      address: d.contracts.OmniToken,
      abi: omniTokenAbi,
      functionName: "balanceOf",
      args: [a],
    });

  before(async () => {
    await ensureRedis();
    chain = await startHardhatNode();
    d = await deployOmniTensor(chain.rpcUrl);
    dir = await mkdtemp(join(ROOT, ".omnitensor", "operator-"));
    await mkdir(join(dir, "deployments"), { recursive: true });
    await writeFile(join(dir, "deployments", `${chain.chainId}.json`), JSON.stringify(d));
    env = {
      RPC_URL: chain.rpcUrl,
      REQUESTER_PRIVATE_KEY: requesterKey,
      NODE_PRIVATE_KEY: nodeKey,
      PRIVATE_KEY: devKey(7), // set, but never the key a requester or node command uses
      OMNITENSOR_HOME: join(dir, "keys"),
    };
  });
  after(async () => {
    await node?.stop();
    await chain?.stop();
    await wipeRedis(PREFIX, REDIS_DB).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("deploy, register, fund a node key, stake, run the node, create a task: seated, revealed, finalized, paid", async () => {
    const reg = await ok([
      "model",
      "register",
      "--onnx",
      "test/fixtures/models/half.onnx",
      "--uri",
      "https://example.org/half.onnx",
      "--spec",
      "test/fixtures/models/half.spec.json",
    ]);
    const modelId = /model registered: (0x[0-9a-f]{64})/.exec(reg.out)![1] as Hex;
    assert.match(
      reg.err,
      new RegExp(`signing as ${privateKeyToAccount(requesterKey).address} \\(from REQUESTER_PRIVATE_KEY\\)`),
    );

    const who = await ok(["node", "status"]);
    assert.match(who.out, new RegExp(`node ${nodeAddress}: not staked`));
    const fund = await ok(["dev", "faucet", nodeAddress]);
    assert.match(fund.out, /now 10 ETH \(gas\) and 20000 OMNIT/);
    const stake = await ok(["node", "stake", "--amount", "15000", "--roles", "compute"]);
    assert.match(stake.err, new RegExp(`signing as ${nodeAddress} \\(from NODE_PRIVATE_KEY\\)`));
    assert.match(stake.out, /stake 15000 OMNIT, active/);

    await mkdir(LOG_DIR, { recursive: true });
    node = startBot(
      `operator-${process.pid}`,
      {
        rpcUrl: chain.rpcUrl,
        redisUrl: `redis://127.0.0.1:6379/${REDIS_DB}`,
        redisPrefix: PREFIX,
        roles: ["compute"],
        models: [{ modelId, path: "test/fixtures/models/half.onnx" }],
        metrics: { port: 0 },
      },
      {
        NODE_PRIVATE_KEY: nodeKey,
        PRIVATE_KEY: devKey(7),
        DEPLOYMENT_FILE: join(dir, "deployments", `${chain.chainId}.json`),
      },
    );
    await waitFor(
      "the node to start",
      async () => /node started/.test(await readFile(node!.logFile, "utf8")),
      120_000,
      500,
    );

    const created = await ok([
      "task",
      "create",
      "--model",
      modelId,
      "--input",
      "test/fixtures/models/half.input.json",
      "--reward",
      "5",
    ]);
    const id = BigInt(/task created: (\d+)/.exec(created.out)![1]);
    const walletBefore = await omnit(nodeAddress);

    await waitFor(
      "the node to take the seat",
      async () => (await task(id)).seatHolders.includes(nodeAddress),
      90_000,
      500,
    );
    const st = await ok(["task", "status", String(id)]);
    assert.match(st.out, /seats:\s+1\/1/);
    const res = await ok(["task", "result", String(id)]);
    assert.match(res.out, new RegExp(`${nodeAddress} \\(seat\\): ok  0x[0-9a-f]{64}  \\{"outputs"`));

    await ok(["dev", "advance", "20h"]);
    await waitFor("the node to reveal", async () => (await task(id)).revealedCount === 1, 90_000, 500);
    await ok(["dev", "advance", "4h"]);
    await waitFor("the task to be finalized", async () => (await task(id)).status === 5, 90_000, 500);
    const fin = await ok(["task", "status", String(id)]);
    assert.match(fin.out, new RegExp(`task ${id}: Finalized`));
    await waitFor("the node to be paid", async () => (await omnit(nodeAddress)) > walletBefore, 90_000, 500);
    const paid = (await omnit(nodeAddress)) - walletBefore;
    assert.ok(paid > 0n && paid <= parseEther("5"), `paid ${paid}`);
    const ns = await ok(["node", "status"]);
    assert.match(ns.out, /wallet:\s+50\d\d(\.\d+)? OMNIT/);
  });
});
