/**
 * Benchmark of the compute bots (docs/bots.md):
 *  1. latency from TaskCreated (as the bot sees it) to its commit transaction being sent, the
 *     model run excluded, over sequential tasks (target ≤ 50 ms on a local chain);
 *  2. 200 tasks (redundancy 3) through 3 compute bots: throughput, failures, Redis memory.
 * Everything is real: a `hardhat node`, Redis, the tiny-mlp ONNX model, three workers started
 * with startWorker() in this process.
 *
 *   npx tsx scripts/bench-bots.ts [--tasks 200] [--latency-tasks 20]
 */
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { parseEther, type Hex } from "viem";
import {
  actor,
  deployOmniTensor,
  devAddress,
  devKey,
  fundAndStake,
  setIntervalMining,
  startHardhatNode,
} from "../test/support/devnet.ts";
import { wipeRedis } from "../test/support/redis.ts";
import { omniTokenAbi, taskManagerAbi } from "../workers/src/chain/abis.ts";
import { knownModel } from "../test/support/models.ts";
import { generateResultKey } from "../workers/src/protocol/index.ts";
import { parseWorkerConfig } from "../workers/src/node/config.ts";
import { startWorker, type RunningWorker } from "../workers/src/node/start.ts";
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

async function main(): Promise<void> {
  const chain = await startHardhatNode();
  const onSignal = () => void chain.stop().then(() => process.exit(130));
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  const workers: RunningWorker[] = [];
  const redis = new Redis({ host: "127.0.0.1", port: 6379, db: REDIS_DB });
  try {
    const d = await deployOmniTensor(chain.rpcUrl);
    // Each open commitment locks a bond of max(minCommitBond = 100 OMNIT, 100 × share): 220 tasks need 22,000 OMNIT per node.
    await fundAndStake(
      chain.rpcUrl,
      d,
      NODES.map((index) => ({ index, roles: 1, stake: parseEther("100000") })),
    );
    const treasury = actor(chain.rpcUrl, d, devKey(0));
    await treasury.send(d.contracts.OmniToken, omniTokenAbi, "transfer", [
      devAddress(REQUESTER),
      parseEther("100000"),
    ]);
    const tiny = knownModel("tiny-mlp");
    const modelId: Hex = await actor(chain.rpcUrl, d, devKey(9)).registerModel(tiny.sha256, tiny.specJson);
    await setIntervalMining(chain.rpcUrl, 200);
    const memBefore = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1]);

    const latencies: number[] = [];
    const inferMs: number[] = [];
    const seedWait: number[] = [];
    for (const i of NODES) {
      const sink = new Writable({
        write(chunk, _e, cb) {
          for (const line of String(chunk).split("\n")) {
            if (!line.includes('"msg":"committed"')) continue;
            const j = JSON.parse(line) as { latencyMs?: number; inferMs?: number; seedWaitMs?: number };
            if (j.seedWaitMs !== undefined) seedWait.push(j.seedWaitMs);
            if (process.env.BENCH_DEBUG) process.stderr.write(line + "\n");
            if (j.latencyMs !== undefined) latencies.push(j.latencyMs);
            if (j.inferMs !== undefined) inferMs.push(j.inferMs);
          }
          cb();
        },
      });
      const config = parseWorkerConfig({
        rpcUrl: chain.rpcUrl,
        privateKey: devKey(i),
        redisUrl: `redis://127.0.0.1:6379/${REDIS_DB}`,
        redisPrefix: `${PREFIX}-${i}`,
        roles: ["compute"],
        models: [{ modelId, path: tiny.path }],
        confirmations: 0,
        pollIntervalMs: 100,
        concurrency: 4,
        metrics: { port: -1 },
        addresses: d.contracts,
        startBlock: d.startBlock,
        logLevel: "info",
      });
      workers.push(await startWorker(config, { logDestination: sink, connectTimeoutMs: 30_000 }));
    }
    await Promise.all(workers.map((w) => w.caughtUp));
    const req = actor(chain.rpcUrl, d, devKey(REQUESTER));
    await req.send(d.contracts.OmniToken, omniTokenAbi, "approve", [
      d.contracts.TaskManager,
      parseEther("100000"),
    ]);
    const resultKey = generateResultKey().publicKey;
    const input = tiny.sampleInput(1);
    const seats = async (id: bigint) =>
      (await req.tm<{ seatHolders: readonly unknown[] }>("getTask", [id])).seatHolders.length;
    const create = () =>
      req.send(d.contracts.TaskManager, taskManagerAbi, "createTask", [
        {
          modelId,
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

    // 1. latency, one task at a time
    progress(`latency: ${LATENCY_TASKS} sequential tasks`);
    for (let k = 0; k < LATENCY_TASKS; k++) {
      await create();
      const id = await req.tm<bigint>("taskCount");
      const until = Date.now() + 60_000;
      while ((await seats(id)) < 3) {
        if (Date.now() > until) throw new Error(`task ${id}: not seated within 60 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const lat = [...latencies];
    const inf = [...inferMs];
    const sw = [...seedWait];

    // 2. throughput: TASKS tasks at once
    latencies.length = 0;
    const firstId = (await req.tm<bigint>("taskCount")) + 1n;
    const t0 = Date.now();
    progress(`throughput: creating ${TASKS} tasks`);
    for (let k = 0; k < TASKS; k++) await create();
    progress("waiting for every seat");
    const createdMs = Date.now() - t0;
    const lastId = firstId + BigInt(TASKS) - 1n;
    let next = firstId;
    let lastProgress = Date.now();
    while (next <= lastId && Date.now() - lastProgress < 60_000) {
      if ((await seats(next)) >= 3) {
        next++;
        lastProgress = Date.now();
      } else await new Promise((r) => setTimeout(r, 50));
    }
    if (next <= lastId) progress(`stalled at task ${next} (no progress for 60 s)`);
    const totalMs = Date.now() - t0;
    const done = Number(next - firstId);
    let failed = 0;
    for (const w of workers) {
      const m = await w.common.metrics.registry.getSingleMetricAsString("omnitensor_tx_failed_total");
      failed += [...m.matchAll(/\} (\d+)/g)].reduce((s, x) => s + Number(x[1]), 0);
    }
    const failedJobs = await countFailedJobs(redis);
    const memAfter = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1]);
    const keys = (await redis.keys(`${PREFIX}*`)).length;

    const rows = [
      [
        "TaskCreated → commit sent, model run excluded (p50 / p95 / max)",
        `${pct(lat, 50).toFixed(1)} / ${pct(lat, 95).toFixed(1)} / ${Math.max(...lat).toFixed(1)} ms (${lat.length} commits)`,
      ],
      ["model run (tiny-mlp, p50)", `${pct(inf, 50).toFixed(1)} ms`],
      ["wait for the seat seed (2 blocks; 200 ms interval mining, p50)", `${pct(sw, 50).toFixed(1)} ms`],
      [
        `${TASKS} tasks × 3 seats through 3 bots`,
        `${done}/${TASKS} fully seated in ${(totalMs / 1000).toFixed(1)} s (creating them took ${(createdMs / 1000).toFixed(1)} s)`,
      ],
      [
        "throughput",
        `${((done * 3) / (totalMs / 1000)).toFixed(1)} commits/s, ${(done / (totalMs / 1000)).toFixed(1)} tasks/s`,
      ],
      ["failures", `${failed} failed transactions, ${failedJobs} failed jobs`],
      ["Redis memory for the run", `${((memAfter - memBefore) / 1024 / 1024).toFixed(2)} MiB (${keys} keys)`],
    ];
    console.log("| measure | result |\n| --- | --- |");
    for (const [a, b] of rows) console.log(`| ${a} | ${b} |`);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await chain.stop();
    await redis.quit();
    await wipeRedis(PREFIX, REDIS_DB);
  }
}

async function countFailedJobs(redis: Redis): Promise<number> {
  let n = 0;
  for (const i of NODES)
    for (const s of STEPS)
      n += await redis.zcard(`${PREFIX}-${i}-q-${devAddress(i).toLowerCase()}:${s}:failed`);
  return n;
}

await main();
