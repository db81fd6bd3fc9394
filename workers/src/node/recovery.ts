/**
 * Notices a loss of the node's Redis state (FLUSHALL, a new empty Redis, evicted or deleted keys)
 * and rebuilds it from the chain (issue 17, item 9). A marker key is written at start and checked
 * after every poll of the watcher; when it is gone, the watcher's checkpoint is deleted, so the
 * next poll scans again from the start block: the events rebuild the task records and every job
 * (they are idempotent), salts are derived from the key and results recomputed, so a committed
 * node still reveals. A wipe may still be deleting keys while the node rebuilds them, so the
 * chain is scanned once more a few seconds later. BullMQ's workers need nothing: they block on
 * their marker key for at most 10 s and pick up jobs added to re-created queues.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { NodeContext } from "./context.ts";

export interface RecoveryOptions {
  redis: Pick<Redis, "exists" | "set" | "del">;
  /** The marker's key, under the node's prefix (a wipe of the prefix deletes it). */
  markerKey: string;
  /** The watcher's checkpoint key (deleted to make the watcher scan from its start block). */
  checkpointKey: string;
  logger: Logger;
  /** Delay of the second scan after a loss (default 5 s). */
  rescanAgainMs?: number;
  /** Called on each loss found (metrics). */
  onLost?: () => void;
}

export interface StateRecovery {
  /** At start, before the watcher: no marker (a first start or an empty Redis) → scan from the start block. */
  init(): Promise<void>;
  /** After each poll: true when the state was found lost (a rescan follows). */
  check(): Promise<boolean>;
  /** How many losses were found since start. */
  readonly losses: number;
}

export function stateRecovery(opts: RecoveryOptions): StateRecovery {
  const { redis, markerKey, checkpointKey, logger } = opts;
  const againMs = opts.rescanAgainMs ?? 5000;
  let againAt: number | undefined;
  let losses = 0;
  const mark = () =>
    redis.set(markerKey, JSON.stringify({ since: new Date().toISOString(), pid: process.pid }));
  const rescan = () => redis.del(checkpointKey);
  return {
    get losses() {
      return losses;
    },
    async init() {
      if (await redis.exists(markerKey)) return;
      await rescan();
      await mark();
      logger.info(
        "no state marker in Redis (first start, or an empty Redis): scanning the chain from the start block",
      );
    },
    async check() {
      if (!(await redis.exists(markerKey))) {
        losses++;
        opts.onLost?.();
        await rescan();
        await mark();
        againAt = Date.now() + againMs;
        logger.warn(
          "Redis state lost (state marker gone): scanning the chain again to rebuild tasks and jobs",
        );
        return true;
      }
      if (againAt !== undefined && Date.now() >= againAt) {
        againAt = undefined;
        await rescan();
        logger.info("scanning the chain once more after the loss of Redis state (a wipe may have gone on)");
      }
      return false;
    },
  };
}

/** The StateRecovery of a node: its marker and checkpoint keys under the node's prefix. */
export function nodeRecovery(
  ctx: Pick<NodeContext, "redis" | "key" | "common">,
  checkpointKey: string,
): StateRecovery {
  return stateRecovery({
    redis: ctx.redis,
    markerKey: ctx.key("state-marker"),
    checkpointKey,
    logger: ctx.common.logger,
  });
}
