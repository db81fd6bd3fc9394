/**
 * An inference process of a fleet (`omnitensor node run --only infer`): Redis and model files
 * only. It waits for its submitter's model records, loads each file against the published
 * hash in worker threads, and consumes the models' run queues until stopped.
 *
 *   const p = await startInferenceProcess(await loadInferConfig({ file }));
 *   ...
 *   await p.stop();   // runs in flight finish; queued ones wait for another process
 */
import pino from "pino";
import { Redis } from "ioredis";
import type { Hex } from "viem";
import { ThreadedInferenceEngine } from "../../inference/runtime/index.ts";
import { backoffMs, retrying } from "../../chain/retry.ts";
import { createShutdown, type Shutdown } from "../common.ts";
import { redisOptions } from "../config.ts";
import { redactUrl } from "../redis.ts";
import { createMetrics, startMetricsServer, type NodeMetrics } from "../metrics.ts";
import type { InferConfig } from "./infer-config.ts";
import { loadPublishedModels, startRunWorkers } from "./runner.ts";

export interface InferenceProcess {
  logger: pino.Logger;
  /** The models served (those whose files passed their hash check). */
  models: Hex[];
  /** Port of /health and /metrics (undefined when disabled). */
  metricsPort?: number;
  /** Graceful and idempotent. */
  stop(): Promise<void>;
  /**
   * Resolves when the process stopped by itself: every inference thread died and none could be
   * replaced (the reason). The CLI then exits with code 1 so that a supervisor starts it again;
   * the jobs it held run on another process after their lock expires.
   */
  failed: Promise<string>;
}

export interface InferStartOptions {
  logDestination?: pino.DestinationStream;
  /** Give up on an unreachable Redis after this long (default: retry forever). */
  connectTimeoutMs?: number;
  /** The engine to run the models in (default: a new one from the config); the process closes it. */
  engine?: ThreadedInferenceEngine;
}

async function connect(config: InferConfig, logger: pino.Logger, shutdown: Shutdown, deadline: number) {
  const connection = { ...redisOptions(config.redisUrl), maxRetriesPerRequest: null };
  const redis = new Redis({
    ...connection,
    lazyConnect: true,
    retryStrategy: (n) => backoffMs(n, 200, 5000),
  });
  redis.on("error", () => undefined); // reported by retrying() at start and by the workers after
  shutdown.onStop("redis", () =>
    redis.status === "ready" ? redis.quit().then(() => undefined) : redis.disconnect(),
  );
  await retrying(
    `Redis ${redactUrl(config.redisUrl)}`,
    { log: logger, signal: shutdown.signal, deadline },
    async () => {
      if (redis.status === "wait" || redis.status === "end") redis.connect().catch(() => undefined);
      await redis.ping();
    },
  );
  return { redis, connection };
}

/** /health (200 while Redis answers; the models, refused files and run counts) and /metrics. */
async function serveHealth(
  config: InferConfig,
  metrics: NodeMetrics,
  shutdown: Shutdown,
  health: () => { ok: boolean; [k: string]: unknown },
): Promise<number | undefined> {
  if (config.metrics.port < 0) return undefined;
  const server = await startMetricsServer(metrics, {
    port: config.metrics.port,
    host: config.metrics.host,
    health: async () => health(),
  });
  shutdown.onStop("metrics", () => server.close());
  return server.port;
}

/**
 * The engine's threads (a new engine from the config, or `opts.engine`); when every thread died
 * and none can be replaced, the process stops by itself and `failed` resolves with the reason.
 */
function startEngine(
  config: InferConfig,
  logger: pino.Logger,
  shutdown: Shutdown,
  given?: ThreadedInferenceEngine,
) {
  const engine =
    given ??
    new ThreadedInferenceEngine({
      inferenceThreads: config.inferenceThreads,
      threadRestarts: config.threadRestarts,
      logger,
    });
  const failed = engine.lost.then(async (err) => {
    logger.fatal({ err: err.message }, "no inference thread can run: stopping (restart this process)");
    await shutdown.stop("inference threads lost");
    return err.message;
  });
  return { engine, failed };
}

/** /health's verdict: Redis answers and an inference thread is live. */
function healthOf(config: InferConfig, redis: Redis, engine: ThreadedInferenceEngine) {
  const threads = engine.health();
  const reasons = redis.status === "ready" ? [] : [`Redis ${redactUrl(config.redisUrl)} is unreachable`];
  if (threads.live === 0)
    reasons.push(threads.unusable ?? "no inference thread is live (one is being replaced)");
  return { ok: reasons.length === 0, reasons, threads };
}

/** Starts an inference process. Throws when no configured model can be served. */
export async function startInferenceProcess(
  config: InferConfig,
  opts: InferStartOptions = {},
): Promise<InferenceProcess> {
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: "omnitensor-infer" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.logDestination ?? pino.destination({ sync: true }),
  );
  const shutdown = createShutdown(logger);
  const deadline = opts.connectTimeoutMs === undefined ? Infinity : Date.now() + opts.connectTimeoutMs;
  if (config.ignored.length)
    logger.info({ ignored: config.ignored }, "node fields not used by an inference process");
  try {
    const { redis, connection } = await connect(config, logger, shutdown, deadline);
    const { engine, failed } = startEngine(config, logger, shutdown, opts.engine);
    shutdown.onStop("inference", () => engine.close());
    const { redisPrefix } = config;
    const loaded = await loadPublishedModels(engine, config.models, {
      redis,
      redisPrefix,
      logger,
      signal: shutdown.signal,
    });
    if (loaded.models.size === 0)
      throw new Error(`no model can be served: ${[...loaded.refused.values()].join("; ")}`);
    const runs = { done: 0, failed: 0 };
    const metrics = createMetrics();
    const workers = startRunWorkers(loaded.models, {
      connection,
      redisPrefix,
      logger,
      concurrency: config.runConcurrency ?? config.inferenceThreads,
      lockDurationMs: config.lockDurationMs,
      onRun: (modelId, ms, ok) => {
        runs[ok ? "done" : "failed"]++;
        metrics.inferenceSeconds.observe({ model: modelId.slice(0, 10) }, ms / 1000);
      },
    });
    shutdown.onStop("run queues", () => workers.close());
    const models = [...loaded.models.keys()];
    const port = await serveHealth(config, metrics, shutdown, () => ({
      ...healthOf(config, redis, engine),
      models,
      refused: Object.fromEntries(loaded.refused),
      runs,
    }));
    logger.info({ models, redisPrefix, metricsPort: port }, "inference process started");
    return { logger, models, metricsPort: port, stop: () => shutdown.stop(), failed };
  } catch (e) {
    await shutdown.stop("start failed");
    throw e;
  }
}
