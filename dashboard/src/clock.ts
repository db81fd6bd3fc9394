/** The chain's clock, for countdowns: the latest block's timestamp plus the wall time since it was read. */
import { useHead } from "./api.ts";

/** Re-renders at each head poll (every second). */
export function useChainNow(): number {
  const { head, at } = useHead();
  const base = head?.chain ? Number(head.chain.timestamp) : Date.now() / 1000;
  const since = at ? (Date.now() - at) / 1000 : 0;
  return Math.floor(base + since);
}
