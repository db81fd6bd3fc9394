/** The watcher's checkpoint: the last block fully processed, kept in Redis. */
import type { Redis } from "ioredis";

export interface Checkpoint {
  /** The last processed block, or undefined when none was stored. */
  get(): Promise<bigint | undefined>;
  set(block: bigint): Promise<void>;
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

/** A checkpoint in memory (tools and benchmarks). */
export function memoryCheckpoint(initial?: bigint): Checkpoint {
  let v = initial;
  return {
    get: async () => v,
    set: async (b) => {
      if (v === undefined || b > v) v = b;
    },
  };
}
