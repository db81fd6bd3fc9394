/**
 * `Common`: what every part of a node receives (config, logger, metrics, shutdown), passed
 * down explicitly — no module-level globals, so several nodes can run in one process.
 */
import pino, { type Logger } from "pino";
import type { NodeConfig } from "./config.ts";
import { createMetrics, type NodeMetrics } from "./metrics.ts";

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
  config: NodeConfig;
  logger: Logger;
  metrics: NodeMetrics;
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
 * Builds the Common of one node. The logger writes JSON lines (pino) to `destination`
 * (stdout by default); it never sees the private key.
 */
export function createCommon(
  config: NodeConfig,
  opts: {
    destination?: pino.DestinationStream;
    bindings?: Record<string, unknown>;
    defaultMetrics?: boolean;
  } = {},
): Common {
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: "omnitensor-node", ...opts.bindings },
      redact: {
        paths: [
          "privateKey",
          "*.privateKey",
          "config.privateKey",
          "nodeKeys",
          "*.nodeKeys",
          "config.nodeKeys",
        ],
        remove: true,
      },
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

/** @deprecated import from chain/retry.ts (kept so that older imports compile). */
export { backoffMs, sleep } from "../chain/retry.ts";
