/**
 * A real node (startNode) against a real `hardhat node` started as `npm run node` starts it, real
 * Redis and real HTTP: /health tells the truth (stake, roles, models, a chain that stopped
 * moving), the documented confirmations work on the local chain, a second process with the same
 * key refuses to run naming the holder, and a Redis outage is logged once and its end once.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { parseAbiItem, parseEther, type Hex, type Log } from "viem";
import {
  ROOT,
  devAddress,
  devKey,
  freePort,
  fundAndStake,
  sendAs,
  setIntervalMining,
  waitFor,
  type LocalChain,
} from "../../support/devnet.ts";
import { knownModel } from "../../support/models.ts";
import { TcpProxy } from "../../e2e/support.ts";
import { lineSink, TestNetwork } from "../../support/e2e.ts";
import type { Deployment } from "../../../workers/src/chain/deployment.ts";
import { createClients } from "../../../workers/src/chain/clients.ts";
import { memoryCheckpoint } from "../../../workers/src/chain/checkpoint.ts";
import { watchLogs } from "../../../workers/src/chain/watcher.ts";
import { nodeStakingAbi, omniTokenAbi } from "../../../workers/src/chain/abis.ts";
import { parseNodeConfig, type NodeConfigInput } from "../../../workers/src/node/config.ts";
import { startNode, type RunningNode } from "../../../workers/src/node/start.ts";

const PREFIX = `test-start-${process.pid}`;
const DB = 0;

/** A node of Hardhat account `index` whose log lines are kept. */
async function runNode(
  chain: LocalChain,
  d: Deployment,
  index: number,
  extra: Partial<NodeConfigInput>,
): Promise<{ node: RunningNode; lines: string[] }> {
  const { lines, sink } = lineSink();
  const config = parseNodeConfig({
    rpcUrl: chain.rpcUrl,
    privateKey: devKey(index),
    redisUrl: `redis://127.0.0.1:6379/${DB}`,
    redisPrefix: `${PREFIX}-${index}`,
    roles: ["verifier"],
    pollIntervalMs: 100,
    metrics: { port: 0 },
    addresses: d.contracts,
    startBlock: d.startBlock,
    ...extra,
  });
  return { node: await startNode(config, { logDestination: sink, connectTimeoutMs: 30_000 }), lines };
}

async function health(n: RunningNode): Promise<{ status: number; body: { ok: boolean; reasons: string[] } }> {
  const r = await fetch(`http://127.0.0.1:${n.metricsPort}/health`);
  return { status: r.status, body: (await r.json()) as { ok: boolean; reasons: string[] } };
}

/** Waits until /health's reasons match `re` (or, with re undefined, until it answers 200). */
function healthUntil(n: RunningNode, re: RegExp | undefined, timeoutMs = 20_000) {
  return waitFor(
    `/health ${re ?? "200"}`,
    async () => {
      const h = await health(n);
      return re ? h.status === 503 && h.body.reasons.some((r) => re.test(r)) && h : h.status === 200 && h;
    },
    timeoutMs,
    100,
  );
}

describe("node start and /health against hardhat node", () => {
  const tiny = knownModel("tiny-mlp");
  const net = new TestNetwork({
    name: "start",
    redis: { db: DB, prefix: PREFIX },
    model: { owner: 9, sha256: tiny.sha256, spec: tiny.specJson },
    intervalMiningMs: 0,
  });
  let chain: LocalChain;
  let d: Deployment;
  let modelId: Hex;
  const nodes: RunningNode[] = [];

  before(async () => {
    net.onStop(() => Promise.all(nodes.map((n) => n.stop())));
    ({ chain, d, modelId } = await net.start());
  });
  after(() => net.stop());

  it("`npm run node` mines a block every second: confirmations 2 hands an event over without other traffic", async () => {
    const client = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) });
    const seen: Log[] = [];
    const from = await client.publicClient.getBlockNumber();
    await sendAs(chain.rpcUrl, 0, d.contracts.OmniToken, omniTokenAbi, "transfer", [devAddress(8), 5n]);
    const w = watchLogs({
      client: client.publicClient,
      address: d.contracts.OmniToken,
      events: [parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)")],
      fromBlock: from + 1n,
      confirmations: 2,
      pollIntervalMs: 100,
      blockRange: 100,
      checkpoint: memoryCheckpoint(),
      logger: pino({ level: "silent" }),
      onLogs: async (logs) => void seen.push(...logs),
    });
    try {
      await waitFor(
        "the transfer, 2 blocks later, with no other transaction",
        async () => seen.length > 0,
        8000,
        100,
      );
    } finally {
      await w.stop();
    }
  });

  it("/health: 503 while the stake is below minStake, then while the roles are not held; 200 once staked right", async () => {
    const { node } = await runNode(chain, d, 5, { staleAfterMs: 2000 });
    nodes.push(node);
    const first = await health(node);
    assert.equal(first.status, 503);
    assert.ok(
      first.body.reasons.some((r) => /^stake 0 wei is below minStake \d+ wei/.test(r)),
      first.body.reasons.join(" | "),
    );
    await fundAndStake(chain.rpcUrl, d, [{ index: 5, roles: 1, stake: parseEther("20000") }]);
    await healthUntil(node, /roles not held: the config runs validator but the stake holds compute/);
    await sendAs(chain.rpcUrl, 5, d.contracts.NodeStaking, nodeStakingAbi, "stake", [0n, 3, "node-5"]);
    const ok = await healthUntil(node, undefined);
    assert.deepEqual(ok.body.reasons, []);
  });

  it("/health: 503 when the chain stops making blocks (stale watcher), 200 again once it moves", async () => {
    const node = nodes[0];
    await healthUntil(node, undefined);
    await setIntervalMining(chain.rpcUrl, 0); // automine only: no block without a transaction
    try {
      await healthUntil(node, /^no new block for \d+ s \(head \d+\): the chain is not moving/, 10_000);
    } finally {
      await setIntervalMining(chain.rpcUrl, 1000);
    }
    await healthUntil(node, undefined);
  });

  it("/health: 503 for a compute node without a model that passed its hash check", async () => {
    await fundAndStake(chain.rpcUrl, d, [{ index: 6, roles: 1, stake: parseEther("20000") }]);
    const { node, lines } = await runNode(chain, d, 6, {
      roles: ["compute"],
      models: [{ modelId, path: knownModel("nan-log").path }],
    });
    nodes.push(node);
    const h = await healthUntil(node, /compute role without a model that passed its hash check/);
    assert.ok(
      h.body.reasons.some((r) => r.includes("fails its hash check")),
      h.body.reasons.join(" | "),
    );
    assert.ok(lines.some((l) => l.includes("fails its hash check against ModelRegistry")));
  });

  it("a second process with the same key refuses to start, naming the holder's pid; the first keeps running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "omnitensor-lock-"));
    const cfg = join(dir, "node.json");
    const config = {
      rpcUrl: chain.rpcUrl,
      redisUrl: `redis://127.0.0.1:6379/${DB}`,
      redisPrefix: `${PREFIX}-other`, // another prefix: the lock is per chain and key, not per prefix
      roles: ["verifier"],
      metrics: { port: await freePort() },
      addresses: d.contracts,
      startBlock: d.startBlock,
    };
    writeFileSync(cfg, JSON.stringify(config));
    const child = spawn(
      process.execPath,
      [join(ROOT, "workers/bin/omnitensor.mjs"), "node", "run", "--config", cfg],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_PRIVATE_KEY: devKey(5),
          PRIVATE_KEY: devKey(5),
          LOG_LEVEL: "error",
          OMNITENSOR_FROM_SOURCE: "1", // the code under test, never a stale build
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    clearTimeout(kill);
    assert.notEqual(code, 0);
    assert.match(
      stderr,
      new RegExp(`node key ${devAddress(5)} is already in use on chain 31337 by pid ${process.pid} on host `),
    );
    const errors = stderr.split("\n").filter((l) => l.startsWith("omnitensor node run:"));
    assert.equal(errors.length, 1, `one error line: ${stderr}`);
    assert.equal((await health(nodes[0])).status, 200, "the holder keeps working");
  });

  it("a Redis outage is logged once and its end once, however many connections see it", async () => {
    const port = await freePort();
    const proxy = new TcpProxy(port, 6379);
    await proxy.start();
    await fundAndStake(chain.rpcUrl, d, [{ index: 7, roles: 2, stake: parseEther("20000") }]);
    const { node, lines } = await runNode(chain, d, 7, { redisUrl: `redis://127.0.0.1:${port}/${DB}` });
    nodes.push(node);
    await healthUntil(node, undefined);
    await proxy.stop();
    await healthUntil(node, /^Redis redis:\/\/127\.0\.0\.1:\d+\/0 is unreachable$/);
    await new Promise((r) => setTimeout(r, 4000));
    const during = await health(node);
    assert.ok(
      !during.body.reasons.some((r) => /RPC|watcher/.test(r)),
      `only Redis: ${during.body.reasons.join(" | ")}`,
    );
    await proxy.start();
    await healthUntil(node, undefined);
    await new Promise((r) => setTimeout(r, 2000));
    const msgs = lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level >= 40);
    const redis = msgs.filter((m) => /redis|queue worker/i.test(m.msg));
    assert.deepEqual(
      redis.map((m) => m.msg),
      ["Redis is unreachable; retrying with backoff"],
      `warnings and errors: ${JSON.stringify(msgs)}`,
    );
    assert.equal(lines.filter((l) => l.includes('"msg":"Redis reachable again"')).length, 1);
    await node.stop(); // before the proxy goes: BullMQ's close waits for Redis
    await proxy.stop();
  });

  it("/health: 503 'RPC … is unreachable' while the RPC is cut after the start, 200 once it is back", async () => {
    const port = await freePort();
    const proxy = new TcpProxy(port, chain.port);
    await proxy.start();
    const { node, lines } = await runNode(chain, d, 7, {
      rpcUrl: `http://127.0.0.1:${port}`,
      redisPrefix: `${PREFIX}-rpc`,
    });
    nodes.push(node);
    try {
      await healthUntil(node, undefined);
      await proxy.stop();
      const h = await healthUntil(
        node,
        new RegExp(`^RPC http://127\\.0\\.0\\.1:${port} is unreachable \\(retrying\\)$`),
      );
      assert.equal((h.body as unknown as { rpc: string }).rpc, "down");
      await proxy.start();
      await healthUntil(node, undefined);
      assert.equal(
        lines.filter((l) => l.includes("watcher: RPC or handler failed")).length,
        1,
        "one line per outage",
      );
    } finally {
      await node.stop();
      await proxy.stop();
    }
  });
});
