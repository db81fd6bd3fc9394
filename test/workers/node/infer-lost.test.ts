/**
 * An inference process of a fleet whose inference threads are lost (dead, restarts spent) stops
 * by itself, so that it takes no more jobs and its supervisor can start it again; while a thread
 * is being replaced its /health answers 503 with the reason. Real Redis, real models in threads.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Worker } from "node:worker_threads";
import type { Hex } from "viem";
import { Redis } from "ioredis";
import { ThreadedInferenceEngine } from "../../../workers/src/inference/runtime/index.ts";
import { FleetClient } from "../../../workers/src/node/fleet/client.ts";
import { parseInferConfig } from "../../../workers/src/node/fleet/infer-config.ts";
import { startInferenceProcess } from "../../../workers/src/node/fleet/infer-process.ts";
import pino from "pino";
import { Queue } from "bullmq";
import { fleetQueuePrefix, runQueueName } from "../../../workers/src/node/fleet/protocol.ts";
import { ensureRedis, wipeRedis } from "../../support/redis.ts";
import { knownModel } from "../../support/models.ts";
import { waitFor } from "../../support/devnet.ts";

const DB = 0;
const PREFIX = `test-infer-lost-${process.pid}`;
const TINY = `0x${"33".repeat(32)}` as Hex;
const connection = { host: "127.0.0.1", port: 6379, db: DB, maxRetriesPerRequest: null };
const tiny = knownModel("tiny-mlp");

/** Ends inference thread `i` as a crash would (a native crash cannot be caused on purpose). */
async function killThread(engine: ThreadedInferenceEngine, i: number): Promise<void> {
  await (engine as unknown as { threads: { worker: Worker }[] }).threads[i].worker.terminate();
}

const config = () =>
  parseInferConfig({
    only: "infer",
    redisUrl: `redis://127.0.0.1:6379/${DB}`,
    redisPrefix: PREFIX,
    models: [{ modelId: TINY, path: tiny.path }],
    metrics: { port: 0 },
    logLevel: "silent",
  });

describe("fleet: an inference process whose threads are lost", () => {
  let redis: Redis;
  let client: FleetClient;
  before(async () => {
    await ensureRedis();
    redis = new Redis(connection);
    client = new FleetClient({ connection, redis, redisPrefix: PREFIX, logger: pino({ level: "silent" }) });
    await client.publish(TINY, { spec: tiny.specJson, onnxSha256: tiny.sha256 });
  });
  after(async () => {
    await client.close();
    await wipeRedis(PREFIX, DB);
    await redis.quit();
  });

  it("/health is 503 while its thread is replaced, 200 again after", async () => {
    const engine = new ThreadedInferenceEngine({ threadRestartDelayMs: 400 });
    const p = await startInferenceProcess(config(), { engine });
    try {
      const health = async () => {
        const res = await fetch(`http://127.0.0.1:${p.metricsPort}/health`);
        return { status: res.status, body: (await res.json()) as { reasons: string[] } };
      };
      assert.equal((await health()).status, 200);
      await killThread(engine, 0);
      const down = await health();
      assert.equal(down.status, 503);
      assert.match(down.body.reasons.join(";"), /no inference thread is live \(one is being replaced\)/);
      const r = await client.model(TINY).infer(new TextEncoder().encode(tiny.sampleInput(1)));
      assert.equal(r.result, "ok", "the job waited for the replacement");
      assert.equal((await health()).status, 200);
    } finally {
      await p.stop();
    }
  });

  it("stops by itself when no thread is left and none can be replaced; `failed` says why", async () => {
    const engine = new ThreadedInferenceEngine({ threadRestarts: 0 });
    const p = await startInferenceProcess(config(), { engine });
    const port = p.metricsPort;
    const queue = new Queue(runQueueName(TINY), { connection, prefix: fleetQueuePrefix(PREFIX) });
    await waitFor("its run worker", async () => (await queue.getWorkersCount()) === 1, 10_000, 50);
    await killThread(engine, 0);
    const reason = await p.failed;
    assert.match(reason, /no inference thread is live and none can be replaced/);
    // Stopped: /health no longer answers, and the run queue's worker is gone.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
    assert.equal(await queue.getWorkersCount(), 0);
    await queue.close();
    await p.stop(); // idempotent
  });
});
