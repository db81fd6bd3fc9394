/**
 * The node's Redis: one connection for the node's own keys (checkpoint, task records, lock),
 * connection options for BullMQ (never a shared client: closing the queues frees their sockets),
 * the checkpoint of the watcher, and an outage log that reports an outage once and its end once,
 * however many connections (this one, each queue's, each BullMQ worker's) see it.
 */
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Checkpoint } from "../chain/checkpoint.ts";
import { backoffMs, retrying } from "../chain/retry.ts";
import type { Common } from "./common.ts";
import { redisOptions } from "./config.ts";

/** Connection options for BullMQ and ioredis (BullMQ workers need maxRetriesPerRequest: null). */
export type RedisConnection = ReturnType<typeof redisOptions> & { maxRetriesPerRequest: null };

/** One line when Redis becomes unreachable, one when it is back: not one per connection and retry. */
export interface OutageLog {
  readonly down: boolean;
  /** Any connection's "error" event. */
  error(e: Error, source?: string): void;
  /** The node's own connection is ready again. */
  recovered(): void;
}

/**
 * An OutageLog writing to `logger`. After a recovery, errors are not reported for `quietMs`
 * (the queues' connections reconnect a little later than the node's own).
 */
export function outageLog(logger: Logger, what = "Redis", quietMs = 10_000): OutageLog {
  let down = false;
  let upAt = 0;
  return {
    get down() {
      return down;
    },
    error(e, source) {
      if (!isConnectionError(e)) {
        // A command failed while Redis answers (e.g. BullMQ's "Missing key for job" after a wipe).
        logger.warn({ err: e.message, source }, `${what} command failed`);
        return;
      }
      if (down || Date.now() - upAt < quietMs) return;
      down = true;
      logger.error({ err: e.message, source }, `${what} is unreachable; retrying with backoff`);
    },
    recovered() {
      if (!down) return;
      down = false;
      upAt = Date.now();
      logger.info(`${what} reachable again`);
    },
  };
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
]);

/** Whether `e` says the connection is down (not that one command failed). */
export function isConnectionError(e: Error): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && CONNECTION_CODES.has(code)) return true;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|Connection is closed|Stream isn't writeable|max retries|socket closed|connect /i.test(
    e.message,
  );
}

export interface NodeRedis {
  redis: Redis;
  connection: RedisConnection;
  outage: OutageLog;
}

/**
 * Connects to `config.redisUrl`, retrying with backoff until `deadline` (epoch ms); closes the
 * connection when the node stops. `onFailure` receives each failure (for /health).
 */
export async function connectRedis(
  common: Common,
  opts: { deadline: number; onFailure?(message: string): void },
): Promise<NodeRedis> {
  const { config, logger, shutdown } = common;
  const connection: RedisConnection = { ...redisOptions(config.redisUrl), maxRetriesPerRequest: null };
  const redis = new Redis({
    ...connection,
    lazyConnect: true,
    retryStrategy: (n) => backoffMs(n, 200, 5000),
  });
  const outage = outageLog(logger);
  let connected = false;
  redis.on("error", (e: Error) => {
    if (connected) outage.error(e, "node");
  });
  redis.on("ready", () => outage.recovered());
  shutdown.onStop("redis", async () => {
    // QUIT waits in the offline queue while Redis is down: then just drop the connection.
    if (redis.status !== "ready") return redis.disconnect();
    await withTimeout(redis.quit(), 2000, "QUIT").catch(() => redis.disconnect());
  });
  const what = `Redis ${redactUrl(config.redisUrl)}`;
  await retrying(what, { log: logger, signal: shutdown.signal, ...opts }, async () => {
    // connect() and a queued ping wait for as long as ioredis reconnects: bound each attempt.
    if (redis.status === "wait" || redis.status === "end") redis.connect().catch(() => undefined);
    await withTimeout(redis.ping(), 2000, "no answer in 2 s");
  });
  connected = true;
  return { redis, connection, outage };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(what)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** The URL without its password (for logs and /health). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** A checkpoint stored under `key` in Redis (only moves forward). */
export function redisCheckpoint(redis: Redis, key: string): Checkpoint {
  return {
    async get() {
      const v = await redis.get(key);
      return v === null ? undefined : BigInt(v);
    },
    async set(block) {
      // Only forward: a late writer never moves the checkpoint back.
      await redis.eval(
        "local c = redis.call('GET', KEYS[1]); if (not c) or tonumber(c) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end; return 1",
        1,
        key,
        block.toString(),
      );
    },
  };
}
