/** Waiting and backoff, shared by the chain layer and the node (no node code here). */
import { ChainError } from "./errors.ts";

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

/**
 * Calls `fn` until it succeeds, with capped backoff: the first failure is logged once ("… is
 * unreachable; retrying"), each failure is passed to `onFailure` (health), and after `deadline`
 * (epoch ms) the last error is thrown as "<what> is unreachable: …". Aborting `signal` ends it.
 */
export async function retrying<T>(
  what: string,
  opts: {
    log: { error(obj: object, msg: string): void };
    signal: AbortSignal;
    deadline: number;
    onFailure?(message: string): void;
  },
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (opts.signal.aborted) throw e;
      const msg = (e as Error).message?.split("\n")[0];
      opts.onFailure?.(`${what} is unreachable: ${msg}`);
      if (attempt === 0) opts.log.error({ err: msg }, `${what} is unreachable; retrying with backoff`);
      if (Date.now() > opts.deadline)
        throw new ChainError(`${what} is unreachable: ${msg}`, {
          retryable: true,
          cause: e,
          code: "UNREACHABLE",
        });
      // Never sleep past the deadline: one last attempt at it.
      await sleep(
        Math.min(backoffMs(attempt, 500, 15_000), Math.max(0, opts.deadline - Date.now())),
        opts.signal,
      );
    }
  }
}
