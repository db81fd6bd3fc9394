/**
 * One nonce lock per key per process: every Submitter of a key shares it, so nonces are handed
 * out in order and never reused. (Across processes the node's Redis lock, node/lock.ts, keeps
 * one process per key.)
 */
import type { Address } from "viem";

/** A mutex: `run(fn)` runs fn after every earlier fn has finished. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export interface KeyState {
  lock: Mutex;
  /** The next nonce this process will use, when known. */
  next?: number;
}
const keyStates = new Map<string, KeyState>();

/** The nonce lock of `address` (one per key per process). */
export function keyState(address: Address): KeyState {
  const k = address.toLowerCase();
  let s = keyStates.get(k);
  if (!s) keyStates.set(k, (s = { lock: new Mutex() }));
  return s;
}
