/**
 * Benchmark of the compute bots (docs/bots.md):
 *  1. latency from TaskCreated (as the bot sees it) to its commit transaction being sent, the
 *     model run excluded, over sequential tasks (target ≤ 50 ms on a local chain);
 *  2. 200 tasks (redundancy 3) through 3 compute bots: throughput, failures, Redis memory.
 * Everything is real: a `hardhat node` with the contracts deployed by the Ignition module (the
 * devnet harness, test/support/devnet.ts), Redis (db 13, keys under a per-run prefix, deleted at
 * the end), the tiny-mlp ONNX model, three nodes started with startNode() in this process.
 *
 *   npx tsx scripts/bench-bots.ts [--tasks 200] [--latency-tasks 20]
 */
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { parseEther, type Hex } from "viem";
import type { Deployment } from "../workers/src/chain/deployment.ts";
import {
  actor,
  deployOmniTensor,
  devAddress,
  devKey,
  fundAndStake,
  setIntervalMining,
  startHardhatNode,
  type LocalChain,
} from "../test/support/devnet.ts";
import { wipeRedis } from "../test/support/redis.ts";
import { omniTokenAbi, taskManagerAbi } from "../workers/src/chain/abis.ts";
import { knownModel } from "../test/support/models.ts";
import { generateResultKey } from "../workers/src/protocol/index.ts";
import { parseNodeConfig } from "../workers/src/node/config.ts";
import { startNode, type RunningNode } from "../workers/src/node/start.ts";
import { STEPS } from "../workers/src/node/jobs.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const TASKS = arg("tasks", 200);
const LATENCY_TASKS = arg("latency-tasks", 20);
const NODES = [1, 2, 3];
const REQUESTER = 10;
const REDIS_DB = 13;
const PREFIX = `bench-${process.pid}`;

const progress = (msg: string) => process.stderr.write(`[bench-bots] ${msg}\n`);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** What the nodes log with each commit. */
interface Samples {
  latency: number[];
  infer: number[];
  seedWait: number[];
}

interface Bench {
  chain: LocalChain;
  d: Deployment;
  modelId: Hex;
  req: ReturnType<typeof actor>;
  redis: Redis;
  samples: Samples;
  nodes: RunningNode[];
}

/** The chain, the contracts (Ignition), three staked compute nodes, a funded requester, the model. */
async function setUp(chain: LocalChain, redis: Redis): Promise<Bench> {
  const d = await deployOmniTensor(chain.rpcUrl);
  // Each open commitment locks a bond of max(minCommitBond = 100 OMNIT, 100 × share): 220 tasks need 22,000 OMNIT per node.
  const stake = parseEther("100000");
  await fundAndStake(
    chain.rpcUrl,
    d,
    NODES.map((index) => ({ index, roles: 1, stake })),
  );
  const treasury = actor(chain.rpcUrl, d, devKey(0));
  await treasury.send(d.contracts.OmniToken, omniTokenAbi, "transfer", [devAddress(REQUESTER), stake]);
  const tiny = knownModel("tiny-mlp");
  const modelId: Hex = await actor(chain.rpcUrl, d, devKey(9)).registerModel(tiny.sha256, tiny.specJson);
  await setIntervalMining(chain.rpcUrl, 200);
  const req = actor(chain.rpcUrl, d, devKey(REQUESTER));
  await req.send(d.contracts.OmniToken, omniTokenAbi, "approve", [d.contracts.TaskManager, stake]);
  const samples: Samples = { latency: [], infer: [], seedWait: [] };
  return { chain, d, modelId, req, redis, samples, nodes: [] };
}

/** A log destination that keeps the timings of each "committed" line. */
function commitSink(samples: Samples): Writable {
  return new Writable({
    write(chunk, _e, cb) {
      for (const line of String(chunk).split("\n")) {
        if (!line.includes('"msg":"committed"')) continue;
        const j = JSON.parse(line) as { latencyMs?: number; inferMs?: number; seedWaitMs?: number };
        if (process.env.BENCH_DEBUG) process.stderr.write(line + "\n");
        if (j.seedWaitMs !== undefined) samples.seedWait.push(j.seedWaitMs);
        if (j.latencyMs !== undefined) samples.latency.push(j.latencyMs);
        if (j.inferMs !== undefined) samples.infer.push(j.inferMs);
      }
      cb();
    },
  });
}

async function startNodes(b: Bench): Promise<void> {
  for (const i of NODES) {
    const config = parseNodeConfig({
      rpcUrl: b.chain.rpcUrl,
      privateKey: devKey(i),
      redisUrl: `redis://127.0.0.1:6379/${REDIS_DB}`,
      redisPrefix: `${PREFIX}-${i}`,
      roles: ["compute"],
      models: [{ modelId: b.modelId, path: knownModel("tiny-mlp").path }],
      confirmations: 0,
      pollIntervalMs: 100,
      concurrency: 4,
      metrics: { port: -1 },
      addresses: b.d.contracts,
      startBlock: b.d.startBlock,
      logLevel: "info",
    });
    b.nodes.push(
      await startNode(config, { logDestination: commitSink(b.samples), connectTimeoutMs: 30_000 }),
    );
  }
  await Promise.all(b.nodes.map((n) => n.caughtUp));
}

const resultKey = generateResultKey().publicKey;

/** Creates one redundancy-3 task with tiny-mlp's sample input. */
function createTask(b: Bench) {
  const input = knownModel("tiny-mlp").sampleInput(1);
  return b.req.send(b.d.contracts.TaskManager, taskManagerAbi, "createTask", [
    {
      modelId: b.modelId,
      input: `0x${Buffer.from(input).toString("hex")}`,
      inputURI: "",
      inputHash: "0x" + "00".repeat(32),
      reward: parseEther("1"),
      redundancy: 3,
      resultKey,
      callback: "0x0000000000000000000000000000000000000000",
      callbackGasLimit: 0,
      disputer: "0x0000000000000000000000000000000000000000",
    },
  ]);
}

const seats = async (b: Bench, id: bigint) =>
  (await b.req.tm<{ seatHolders: readonly unknown[] }>("getTask", [id])).seatHolders.length;

/** 1. Latency: one task at a time, each waited for until its three seats are taken. */
async function measureLatency(b: Bench): Promise<Samples> {
  progress(`latency: ${LATENCY_TASKS} sequential tasks`);
  for (let k = 0; k < LATENCY_TASKS; k++) {
    await createTask(b);
    const id = await b.req.tm<bigint>("taskCount");
    const until = Date.now() + 60_000;
    while ((await seats(b, id)) < 3) {
      if (Date.now() > until) throw new Error(`task ${id}: not seated within 60 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const { latency, infer, seedWait } = b.samples;
  return { latency: [...latency], infer: [...infer], seedWait: [...seedWait] };
}

/** 2. Throughput: TASKS tasks created at once, then every seat waited for (60 s without progress = stalled). */
async function measureThroughput(b: Bench) {
  const firstId = (await b.req.tm<bigint>("taskCount")) + 1n;
  const t0 = Date.now();
  progress(`throughput: creating ${TASKS} tasks`);
  for (let k = 0; k < TASKS; k++) await createTask(b);
  progress("waiting for every seat");
  const createdMs = Date.now() - t0;
  const lastId = firstId + BigInt(TASKS) - 1n;
  let next = firstId;
  let lastProgress = Date.now();
  while (next <= lastId && Date.now() - lastProgress < 60_000) {
    if ((await seats(b, next)) >= 3) {
      next++;
      lastProgress = Date.now();
    } else await new Promise((r) => setTimeout(r, 50));
  }
  if (next <= lastId) progress(`stalled at task ${next} (no progress for 60 s)`);
  return { done: Number(next - firstId), totalMs: Date.now() - t0, createdMs };
}

async function countFailures(b: Bench): Promise<{ txs: number; jobs: number }> {
  let txs = 0;
  for (const n of b.nodes) {
    const m = await n.common.metrics.registry.getSingleMetricAsString("omnitensor_tx_failed_total");
    txs += [...m.matchAll(/\} (\d+)/g)].reduce((s, x) => s + Number(x[1]), 0);
  }
  let jobs = 0;
  for (const i of NODES)
    for (const s of STEPS)
      jobs += await b.redis.zcard(`${PREFIX}-${i}-q-${devAddress(i).toLowerCase()}:${s}:failed`);
  return { txs, jobs };
}

const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1]);

function report(
  lat: Samples,
  tp: { done: number; totalMs: number; createdMs: number },
  failed: { txs: number; jobs: number },
  redis: { bytes: number; keys: number },
): void {
  const ms = (x: number) => x.toFixed(1);
  const perS = (n: number) => (n / (tp.totalMs / 1000)).toFixed(1);
  const l = lat.latency;
  const rows = [
    [
      "TaskCreated → commit sent, model run excluded (p50 / p95 / max)",
      `${ms(pct(l, 50))} / ${ms(pct(l, 95))} / ${ms(Math.max(...l))} ms (${l.length} commits)`,
    ],
    ["model run (tiny-mlp, p50)", `${ms(pct(lat.infer, 50))} ms`],
    ["wait for the seat seed (2 blocks; 200 ms interval mining, p50)", `${ms(pct(lat.seedWait, 50))} ms`],
    [
      `${TASKS} tasks × 3 seats through 3 bots`,
      `${tp.done}/${TASKS} fully seated in ${(tp.totalMs / 1000).toFixed(1)} s (creating them took ${(tp.createdMs / 1000).toFixed(1)} s)`,
    ],
    ["throughput", `${perS(tp.done * 3)} commits/s, ${perS(tp.done)} tasks/s`],
    ["failures", `${failed.txs} failed transactions, ${failed.jobs} failed jobs`],
    ["Redis memory for the run", `${(redis.bytes / 1024 / 1024).toFixed(2)} MiB (${redis.keys} keys)`],
  ];
  console.log("| measure | result |\n| --- | --- |");
  for (const [a, b] of rows) console.log(`| ${a} | ${b} |`);
}

async function main(): Promise<void> {
  const chain = await startHardhatNode();
  const onSignal = () => void chain.stop().then(() => process.exit(130));
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  const redis = new Redis({ host: "127.0.0.1", port: 6379, db: REDIS_DB });
  let b: Bench | undefined;
  try {
    b = await setUp(chain, redis);
    const memBefore = await usedMemory(redis);
    await startNodes(b);
    const lat = await measureLatency(b);
    const tp = await measureThroughput(b);
    const failed = await countFailures(b);
    const bytes = (await usedMemory(redis)) - memBefore;
    const keys = (await redis.keys(`${PREFIX}*`)).length;
    report(lat, tp, failed, { bytes, keys });
  } finally {
    await Promise.all((b?.nodes ?? []).map((n) => n.stop()));
    await chain.stop();
    await redis.quit();
    await wipeRedis(PREFIX, REDIS_DB);
  }
}

await main();
