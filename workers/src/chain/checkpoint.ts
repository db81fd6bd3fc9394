/**
 * The watcher's checkpoint: the last block fully processed. The interface and an in-memory
 * one live here; the node keeps its checkpoint in Redis (node/redis.ts, redisCheckpoint).
 */

export interface Checkpoint {
  /** The last processed block, or undefined when none was stored. */
  get(): Promise<bigint | undefined>;
  /** Stores `block`; implementations only move forward (a late writer never moves it back). */
  set(block: bigint): Promise<void>;
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
