/**
 * A deterministic clock for the in-process chain: every block the simulation (or the Ignition
 * deployment) mines gets its timestamp from this wrapper, not from the wall clock. Each block is one
 * second after the one before, plus whatever `evm_increaseTime` asked for since. With the genesis
 * date fixed (main.ts: `initialDate`), block hashes, hence the sortition's seeds, hence the whole
 * run, depend only on the flags: the same `--seed` gives the same report.
 */
import { toHex } from "viem";

interface Eip1193 {
  request: (a: { method: string; params?: unknown[] }) => Promise<unknown>;
}

/** Calls that mine one block (automine) or several (hardhat_mine). */
const MINES = new Set(["eth_sendTransaction", "eth_sendRawTransaction", "evm_mine", "hardhat_mine"]);

export function deterministicClock<P extends Eip1193>(inner: P): P {
  let last: bigint | undefined;
  let pending = 0n;
  const latest = async (): Promise<bigint> => {
    const b = (await inner.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as {
      timestamp: string;
    };
    return BigInt(b.timestamp);
  };
  const request = async (a: { method: string; params?: unknown[] }): Promise<unknown> => {
    if (a.method === "evm_increaseTime") {
      pending += BigInt(Number(a.params?.[0] ?? 0));
      return toHex(pending);
    }
    if (a.method === "evm_setNextBlockTimestamp") {
      last ??= await latest();
      pending = BigInt(a.params?.[0] as string | number) - last - 1n;
      return null;
    }
    if (!MINES.has(a.method)) return inner.request(a);
    last ??= await latest();
    const next = last + 1n + (pending > 0n ? pending : 0n);
    await inner.request({ method: "evm_setNextBlockTimestamp", params: [toHex(next)] });
    pending = 0n;
    const params = a.method === "hardhat_mine" ? [a.params?.[0] ?? "0x1", "0x1"] : a.params;
    try {
      return await inner.request({ ...a, params });
    } finally {
      // hardhat_mine's later blocks are one second apart; a transaction refused before mining
      // leaves the timestamp unused (the next block takes a later one: still the same every run).
      const n = a.method === "hardhat_mine" ? BigInt((a.params?.[0] as string | undefined) ?? "0x1") : 1n;
      last = next + (n > 0n ? n - 1n : 0n);
    }
  };
  return new Proxy(inner, {
    get: (t, prop, recv) => (prop === "request" ? request : Reflect.get(t, prop, recv)),
  });
}
