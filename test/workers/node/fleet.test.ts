/**
 * The fleet's Redis protocol (docs/operator.md, "Running a fleet") with real Redis and real
 * models in worker threads: a model published by the submitter side is loaded by the inference
 * side against the published hash; a RemoteModel gives the in-process engine's results; the same
 * input is one run (concurrent steps share it, and so do the keys of a relay node asking one after
 * another: a job read keeps its result, not its input); an inference process config needs no key.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { Redis } from "ioredis";
import type { Hex } from "viem";
import { InferenceEngine, ThreadedInferenceEngine } from "../../../workers/src/inference/runtime/index.ts";
import { FleetClient } from "../../../workers/src/node/fleet/client.ts";
import { loadPublishedModels, startRunWorkers } from "../../../workers/src/node/fleet/runner.ts";
import { parseInferConfig, requestedMode } from "../../../workers/src/node/fleet/infer-config.ts";
import { startInferenceProcess } from "../../../workers/src/node/fleet/infer-process.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNodeConfig } from "../../../workers/src/node/config.ts";
import { fleetQueuePrefix, runQueueName } from "../../../workers/src/node/fleet/protocol.ts";
import { keccak256Hex } from "../../../workers/src/inference/keccak.ts";
import { Queue } from "bullmq";
import { ensureRedis, wipeRedis } from "../../support/redis.ts";
import { knownModel } from "../../support/models.ts";

const DB = 0;
const PREFIX = `test-fleet-${process.pid}`;
const TINY = `0x${"11".repeat(32)}` as Hex;
const CLS = `0x${"22".repeat(32)}` as Hex;
const connection = { host: "127.0.0.1", port: 6379, db: DB, maxRetriesPerRequest: null };

describe("fleet: submitter side and inference side through Redis", () => {
  const logger = pino({ level: "silent" });
  let redis: Redis;
  let client: FleetClient;
  const engine = new ThreadedInferenceEngine({ inferenceThreads: 1 });
  const direct = new InferenceEngine({ batchWindowMs: 0 });
  let workers: { close(): Promise<void> } | undefined;

  before(async () => {
    await ensureRedis();
    redis = new Redis(connection);
    client = new FleetClient({ connection, redis, redisPrefix: PREFIX, logger, waitMs: 60_000 });
  });
  after(async () => {
    await workers?.close();
    await client.close();
    await engine.close();
    await direct.close();
    await wipeRedis(PREFIX, DB);
    await redis.quit();
  });

  /** Run workers (the only ones) on tiny-mlp that count its runs; `runs()` reads the count. */
  async function countingWorkers(): Promise<() => number> {
    const tiny = knownModel("tiny-mlp");
    await workers?.close();
    let runs = 0;
    const model = await engine.load(tiny.specJson, tiny.path);
    const counting = new Map([[TINY, { infer: (b: Uint8Array) => (runs++, model.infer(b)) }]]);
    workers = startRunWorkers(counting, { connection, redisPrefix: PREFIX, logger });
    return () => runs;
  }

  it("publishes, loads against the published hash, and returns the in-process results", async () => {
    const tiny = knownModel("tiny-mlp");
    const cls = knownModel("ocr-cls");
    await client.publish(TINY, { spec: tiny.specJson, onnxSha256: tiny.sha256 });
    // ocr-cls published with tiny-mlp's hash: its file fails the check and is not served
    await client.publish(CLS, { spec: cls.specJson, onnxSha256: tiny.sha256 });
    const loaded = await loadPublishedModels(
      engine,
      [
        { modelId: TINY, path: tiny.path },
        { modelId: CLS, path: cls.path },
      ],
      { redis, redisPrefix: PREFIX, logger },
    );
    assert.deepEqual([...loaded.models.keys()], [TINY]);
    assert.match(loaded.refused.get(CLS)!, /fails its hash check/);
    workers = startRunWorkers(loaded.models, {
      connection,
      redisPrefix: PREFIX,
      logger,
      lockDurationMs: 5000,
    });

    const local = await direct.load(tiny.specJson, tiny.path);
    const remote = client.model(TINY);
    for (const input of [tiny.sampleInput(1), tiny.sampleInput(3), "{}", "\u0000garbage"]) {
      const bytes = new TextEncoder().encode(input);
      const [a, b] = [await remote.infer(bytes), await local.infer(bytes)];
      assert.equal(a.outputHash, b.outputHash);
      assert.equal(a.canonical, b.canonical);
      assert.equal(a.result, b.result);
      assert.equal(a.margin, b.margin); // Infinity survives the trip through JSON
      assert.equal(a.skip, b.skip);
    }
    // once read, the job keeps its result (for the next asker) but not the input it held
    const q = new Queue(runQueueName(TINY), { connection, prefix: fleetQueuePrefix(PREFIX) });
    const x = new TextEncoder().encode(tiny.sampleInput(2));
    const r = await remote.infer(x);
    const job = await q.getJob(keccak256Hex(x).slice(2));
    assert.equal(await job?.getState(), "completed");
    assert.equal(job?.data.input, "");
    assert.equal((job?.returnvalue as { outputHash: string }).outputHash, r.outputHash);
    await q.close();
  });

  it("concurrent steps with one input share one run", async () => {
    const tiny = knownModel("tiny-mlp");
    const runs = await countingWorkers();
    const x = new TextEncoder().encode(tiny.sampleInput(4));
    const rs = await Promise.all([1, 2, 3].map(() => client.model(TINY).infer(x)));
    assert.equal(runs(), 1);
    assert.ok(rs.every((r) => r.outputHash === rs[0].outputHash && r.result === "ok"));
  });

  it("the keys of a relay node (a FleetClient each) asking for one input one after another share one run", async () => {
    const tiny = knownModel("tiny-mlp");
    const runs = await countingWorkers();
    const keys = [1, 2, 3].map(
      () => new FleetClient({ connection, redis, redisPrefix: PREFIX, logger, waitMs: 60_000 }),
    );
    try {
      const x = new TextEncoder().encode(tiny.sampleInput(6));
      const rs: { outputHash: string; result: string }[] = [];
      for (const k of keys) rs.push(await k.model(TINY).infer(x)); // each after the previous one has read it
      assert.equal(runs(), 1, "one run for the three keys");
      assert.ok(rs.every((r) => r.outputHash === rs[0].outputHash && r.result === "ok"));
    } finally {
      for (const k of keys) await k.close();
    }
  });

  it("an inference process: /health answers 200 with its models and runs; it serves the published model", async () => {
    const tiny = knownModel("tiny-mlp");
    const p = await startInferenceProcess(
      parseInferConfig({
        only: "infer",
        redisUrl: `redis://127.0.0.1:6379/${DB}`,
        redisPrefix: PREFIX,
        models: [{ modelId: TINY, path: tiny.path }],
        metrics: { port: 0 },
        logLevel: "silent",
      }),
    );
    try {
      await workers?.close(); // only the process serves now
      workers = undefined;
      const r = await client.model(TINY).infer(new TextEncoder().encode(tiny.sampleInput(5)));
      assert.equal(r.result, "ok");
      const res = await fetch(`http://127.0.0.1:${p.metricsPort}/health`);
      const h = (await res.json()) as { ok: boolean; models: string[]; runs: { done: number } };
      assert.equal(res.status, 200);
      assert.deepEqual(h.models, [TINY]);
      assert.equal(h.runs.done, 1);
      const m = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
      assert.match(m, /omnitensor_inference_seconds_count\{model="0x11111111"\} 1/);
    } finally {
      await p.stop();
    }
  });

  it("an inference process config needs only Redis and model files; a full node's fields are ignored", () => {
    const c = parseInferConfig({
      only: "infer",
      redisUrl: "redis://127.0.0.1:6379/3",
      models: [{ modelId: TINY, path: "m.onnx" }],
      rpcUrl: "http://127.0.0.1:8545",
      roles: ["compute"],
    });
    assert.deepEqual(c.ignored, ["rpcUrl", "roles"]);
    assert.equal(c.redisPrefix, "omnitensor");
    assert.throws(
      () => parseInferConfig({ only: "infer", redisUrl: "redis://x", models: [], typo: 1 }),
      /models: an inference process needs at least one model.*typo|typo.*models/s,
    );
  });

  it("`node run` is an inference process when --only infer is given or the file says only: infer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fleet-mode-"));
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ only: "infer" }));
    assert.equal(await requestedMode(undefined, { only: "infer" }), "infer");
    assert.equal(await requestedMode(file, {}), "infer");
    assert.equal(await requestedMode(file, { only: "submit" }), undefined); // a flag wins over the file
    writeFileSync(file, JSON.stringify({ only: "submit" }));
    assert.equal(await requestedMode(file, {}), undefined);
    assert.equal(await requestedMode(undefined, {}), undefined);
  });

  it("node config: only submit needs no model file; a full node does; fleet parses from a flag", () => {
    const base = {
      rpcUrl: "http://127.0.0.1:8545",
      privateKey: `0x${"ab".repeat(32)}`,
      redisUrl: "redis://127.0.0.1:6379/0",
      roles: ["compute"],
      models: [{ modelId: TINY }],
    };
    const c = parseNodeConfig({ ...base, only: "submit" });
    assert.equal(c.only, "submit");
    assert.equal(c.fleet, false);
    assert.throws(() => parseNodeConfig(base), /models\.0\.path: is required \(unless only is "submit"\)/);
    const f = parseNodeConfig({ ...base, models: [{ modelId: TINY, path: "m.onnx" }], fleet: "true" });
    assert.equal(f.only, "all");
    assert.equal(f.fleet, true);
    assert.throws(() => parseNodeConfig({ ...base, only: "infer" }), /only/);
  });
});
