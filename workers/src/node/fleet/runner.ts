/**
 * The inference side of a fleet: loads each configured model file against the record its
 * submitter published in Redis, and consumes that model's run queue (BullMQ workers) with
 * the models running in worker threads, so the event loop stays free and BullMQ renews the
 * job locks during long runs. A process that dies (kill -9) stops renewing its locks: after
 * `lockDurationMs` the stalled-job check of any other process of the fleet puts the job back
 * and another process runs it.
 */
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker, type ConnectionOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Hex } from "viem";
import type { ThreadedInferenceEngine, ThreadedModel } from "../../inference/runtime/index.ts";
import {
  encodeResult,
  fleetQueuePrefix,
  modelKey,
  runQueueName,
  type PublishedModel,
  type RunJob,
  type RunResult,
} from "./protocol.ts";
import { loadCheckedModel } from "../models.ts";

/** What a run job records as its progress when a process starts it (who runs it; tests and operators read it). */
export interface RunProgress {
  pid: number;
  host: string;
  startedAt: number;
}

/** Waits for the submitter's record of `modelId` (polling every `everyMs`), logging once while it is missing. */
export async function publishedModel(
  redis: Redis,
  redisPrefix: string,
  modelId: Hex,
  opts: { logger: Logger; signal?: AbortSignal; everyMs?: number },
): Promise<PublishedModel> {
  let told = false;
  for (;;) {
    const v = await redis.get(modelKey(redisPrefix, modelId));
    if (v) return JSON.parse(v) as PublishedModel;
    if (!told)
      opts.logger.warn(
        { modelId },
        "model not published in Redis yet: waiting for the submitter (same redisUrl and redisPrefix?)",
      );
    told = true;
    if (opts.signal?.aborted) throw new Error("stopped while waiting for the model record");
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 1000));
  }
}

/** Loads every configured model against its published record; refused files are logged and left out. */
export async function loadPublishedModels(
  engine: ThreadedInferenceEngine,
  models: readonly { modelId: Hex; path: string }[],
  opts: { redis: Redis; redisPrefix: string; logger: Logger; signal?: AbortSignal },
): Promise<{ models: Map<Hex, ThreadedModel>; refused: Map<Hex, string> }> {
  const loaded = new Map<Hex, ThreadedModel>();
  const refused = new Map<Hex, string>();
  for (const m of models) {
    const log = opts.logger.child({ modelId: m.modelId });
    const rec = await publishedModel(opts.redis, opts.redisPrefix, m.modelId, { ...opts, logger: log });
    await loadCheckedModel(engine, m, rec, log, { models: loaded, refused }, "the published record");
  }
  return { models: loaded, refused };
}

export interface RunWorkersOptions {
  connection: ConnectionOptions;
  redisPrefix: string;
  logger: Logger;
  /** Jobs run at once per model (default 1). */
  concurrency?: number;
  /** BullMQ lock of a job: a dead process's job is run again about this long after it died (default 30 s). */
  lockDurationMs?: number;
  /** Called after each run (metrics). */
  onRun?(modelId: Hex, ms: number, ok: boolean): void;
}

/** One BullMQ worker per model on its run queue; `close()` lets jobs in flight finish. */
export function startRunWorkers(
  models: ReadonlyMap<Hex, Pick<ThreadedModel, "infer">>,
  opts: RunWorkersOptions,
): { close(): Promise<void> } {
  const lockDuration = opts.lockDurationMs ?? 30_000;
  const workers = [...models].map(([modelId, model]) => {
    const log = opts.logger.child({ modelId });
    const w = new Worker<RunJob, RunResult>(
      runQueueName(modelId),
      async (job) => {
        const progress: RunProgress = { pid: process.pid, host: hostname(), startedAt: Date.now() };
        await job.updateProgress(progress as unknown as object);
        const t0 = performance.now();
        log.info({ job: job.id, stalled: job.stalledCounter, started: job.attemptsStarted }, "run started");
        try {
          const r = await model.infer(Buffer.from(job.data.input, "base64"));
          const ms = performance.now() - t0;
          log.info({ job: job.id, ms: Math.round(ms), result: r.result }, "run done");
          opts.onRun?.(modelId, ms, true);
          return encodeResult(r);
        } catch (e) {
          opts.onRun?.(modelId, performance.now() - t0, false);
          log.warn({ job: job.id, err: (e as Error).message }, "run failed (resource or profile)");
          return { error: (e as Error).message.split("\n")[0] };
        }
      },
      {
        connection: opts.connection,
        prefix: fleetQueuePrefix(opts.redisPrefix),
        concurrency: opts.concurrency ?? 1,
        lockDuration,
        stalledInterval: Math.max(1000, Math.min(30_000, lockDuration)),
        // A job whose process died is put back this many times before it fails (then the submitter queues it again).
        maxStalledCount: 5,
      },
    );
    w.on("error", (e) => log.warn({ err: e.message }, "run queue worker error (Redis?)"));
    return w;
  });
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
