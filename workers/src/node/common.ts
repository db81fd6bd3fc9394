/**
 * `Common`: what every part of a worker receives (config, logger, metrics, shutdown), passed
 * down explicitly — no module-level globals, so several workers can run in one process.
 */
import pino, { type Logger } from "pino";
import type { WorkerConfig } from "./config.ts";
import { createMetrics, type WorkerMetrics } from "./metrics.ts";

/** Shutdown coordination: `signal` aborts when stop begins; hooks run in reverse order of registration. */
export interface Shutdown {
  readonly signal: AbortSignal;
  readonly stopping: boolean;
  /** Registers a cleanup step (closing a queue, a server...). */
  onStop(name: string, fn: () => Promise<void> | void): void;
  /** Runs every hook once (later calls return the same promise). */
  stop(reason?: string): Promise<void>;
}

export interface Common {
  config: WorkerConfig;
  logger: Logger;
  metrics: WorkerMetrics;
  shutdown: Shutdown;
}

export function createShutdown(logger: Logger): Shutdown {
  const controller = new AbortController();
  const hooks: { name: string; fn: () => Promise<void> | void }[] = [];
  let done: Promise<void> | undefined;
  return {
    get signal() {
      return controller.signal;
    },
    get stopping() {
      return controller.signal.aborted;
    },
    onStop(name, fn) {
      hooks.push({ name, fn });
    },
    stop(reason = "stop requested") {
      if (done) return done;
      controller.abort(new Error(reason));
      done = (async () => {
        logger.info({ reason }, "stopping");
        for (const h of [...hooks].reverse()) {
          try {
            await h.fn();
          } catch (e) {
            logger.warn({ step: h.name, err: (e as Error).message }, "error while stopping");
          }
        }
        logger.info("stopped");
      })();
      return done;
    },
  };
}

/**
 * Builds the Common of one worker. The logger writes JSON lines (pino) to `destination`
 * (stdout by default); it never sees the private key.
 */
export function createCommon(
  config: WorkerConfig,
  opts: {
    destination?: pino.DestinationStream;
    bindings?: Record<string, unknown>;
    defaultMetrics?: boolean;
  } = {},
): Common {
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: "omnitensor-worker", ...opts.bindings },
      redact: { paths: ["privateKey", "*.privateKey", "config.privateKey"], remove: true },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? pino.destination({ sync: true }),
  );
  return {
    config,
    logger,
    metrics: createMetrics({ defaultMetrics: opts.defaultMetrics }),
    shutdown: createShutdown(logger),
  };
}

/** The logger of one task: every line it writes carries `taskId`. */
export function taskLogger(common: Pick<Common, "logger">, taskId: bigint, step?: string): Logger {
  return common.logger.child(step ? { taskId: taskId.toString(), step } : { taskId: taskId.toString() });
}

/** Sleeps `ms`, returning early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Exponential backoff with a cap: attempt 0 → base, 1 → 2·base, … ≤ max. */
export function backoffMs(attempt: number, base = 500, max = 30_000): number {
  return Math.min(max, base * 2 ** Math.min(attempt, 20));
}
