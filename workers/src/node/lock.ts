/**
 * One process per key and chain: two processes signing with the same key clash on nonces (each
 * sends nonce n; one fails "nonce too low" and its duty may be lost). At start the node takes a
 * lock in Redis for (chain id, genesis block, node address) holding its pid and host, refreshes it
 * every ttl/3 and releases it on stop. A second process refuses to start, naming the holder. A
 * lock left by a process that died on this host (kill -9) is taken over at once; one from
 * another host expires after `ttlMs`.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Address } from "viem";
import { OmniTensorError } from "../protocol/errors.ts";

/** What the lock records about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** Unique per start (a restarted container may get the same pid). */
  id: string;
  /** ISO time the holder took the lock. */
  since: string;
}

/** Another live process holds the key's lock. */
export class NodeLockedError extends OmniTensorError {
  constructor(
    readonly node: Address,
    readonly chainId: number,
    readonly holder: LockHolder,
    ttlMs: number,
  ) {
    super(
      `node key ${node} is already in use on chain ${chainId} by pid ${holder.pid} on host ${holder.host} ` +
        `(since ${holder.since}): two processes with one key clash on nonces. Stop that process, ` +
        `or wait ${Math.ceil(ttlMs / 1000)} s if it is gone`,
      "NODE_LOCKED",
    );
    this.name = "NodeLockedError";
  }
}

export interface NodeLock {
  readonly key: string;
  readonly holder: LockHolder;
  /** Why the lock is no longer ours (another process took it), or undefined while it is. */
  lost(): string | undefined;
  /** Stops refreshing and deletes the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** Lock keys held by this process (two nodes of one key in one process clash as well). */
const heldHere = new Set<string>();

const ACQUIRE = `local v = redis.call('GET', KEYS[1])
if (not v) or v == ARGV[3] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return '' end
return v`;
const REFRESH = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return '' end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return '' end
return v`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A holder on this host whose process is gone (or is this process, but not holding it here). */
function isStale(h: LockHolder, key: string): boolean {
  if (h.host !== hostname()) return false;
  if (h.pid === process.pid) return !heldHere.has(key);
  return !alive(h.pid);
}

/** The Redis key of the lock (deliberately outside any prefix: two prefixes, one key still clash). */
export function lockKey(chainId: number, genesis: string, node: Address): string {
  return `omnitensor:node-lock:${chainId}:${genesis.toLowerCase()}:${node.toLowerCase()}`;
}

/** Takes the lock or throws NodeLockedError naming the live holder. */
export async function acquireNodeLock(
  redis: Redis,
  opts: { chainId: number; genesis: string; node: Address; logger: Logger; ttlMs?: number },
): Promise<NodeLock> {
  const ttlMs = opts.ttlMs ?? 30_000;
  const key = lockKey(opts.chainId, opts.genesis, opts.node);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    id: randomUUID(),
    since: new Date().toISOString(),
  };
  const mine = JSON.stringify(holder);
  let other = (await redis.eval(ACQUIRE, 1, key, mine, String(ttlMs), "")) as string;
  if (other) {
    const h = JSON.parse(other) as LockHolder;
    if (!isStale(h, key) || heldHere.has(key)) throw new NodeLockedError(opts.node, opts.chainId, h, ttlMs);
    opts.logger.warn({ pid: h.pid, host: h.host }, "taking over the key's lock from a process that is gone");
    other = (await redis.eval(ACQUIRE, 1, key, mine, String(ttlMs), other)) as string;
    if (other) throw new NodeLockedError(opts.node, opts.chainId, JSON.parse(other) as LockHolder, ttlMs);
  }
  heldHere.add(key);
  return keepLock(redis, key, holder, mine, ttlMs, opts.logger);
}

function keepLock(
  redis: Redis,
  key: string,
  holder: LockHolder,
  mine: string,
  ttlMs: number,
  logger: Logger,
): NodeLock {
  let lostTo: string | undefined;
  const timer = setInterval(
    () => {
      redis
        .eval(REFRESH, 1, key, mine, String(ttlMs))
        .then((v) => {
          if (!v) return void (lostTo = undefined);
          const h = JSON.parse(v as string) as LockHolder;
          if (lostTo === undefined)
            logger.error(
              { pid: h.pid, host: h.host },
              "another process took this key's lock: nonces will clash",
            );
          lostTo = `pid ${h.pid} on host ${h.host} holds this key's lock (nonce clash)`;
        })
        .catch(() => undefined); // Redis down: the outage is logged elsewhere; the TTL covers short ones
    },
    Math.max(50, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  let released: Promise<void> | undefined;
  return {
    key,
    holder,
    lost: () => lostTo,
    release() {
      released ??= (async () => {
        clearInterval(timer);
        heldHere.delete(key);
        // Redis down: the command would wait in ioredis' offline queue; the TTL frees the lock then.
        const timeout = new Promise((r) => setTimeout(r, 2000).unref());
        await Promise.race([redis.eval(RELEASE, 1, key, mine).catch(() => undefined), timeout]);
      })();
      return released;
    },
  };
}
