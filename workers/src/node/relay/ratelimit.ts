/**
 * The per-node limit of the relayer's HTTP door (`relay.maxEntriesPerMinute`, docs/operator.md
 * §11): a token bucket per node address, in memory. A node may post up to `perMinute` entries at
 * once, then one more each 60 s / perMinute; an entry over the limit is refused with the seconds
 * to wait (the door's 429 and Retry-After). 0: no limit. Buckets that have refilled are dropped
 * when many nodes are tracked, so the map stays bounded by the nodes active in the last minute.
 */

const WINDOW_MS = 60_000;
/** Buckets tracked before the full ones are swept. */
const SWEEP_AT = 10_000;

/** A node's allowance in integer units: one entry is WINDOW_MS units, perMinute units come back each ms. */
interface Bucket {
  units: number;
  at: number;
}

export class NodeRateLimit {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    /** The clock (ms); tests move it. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Units of `b` at `t` (refilled since it was last seen, capped at perMinute entries). */
  private level(b: Bucket, t: number): number {
    return Math.min(this.perMinute * WINDOW_MS, b.units + Math.max(0, t - b.at) * this.perMinute);
  }

  /** Takes one entry of `node`'s allowance: undefined when allowed, else the seconds to wait (≥ 1). */
  take(node: string): number | undefined {
    if (this.perMinute <= 0) return undefined;
    const t = this.now();
    const key = node.toLowerCase();
    const b = this.buckets.get(key);
    const units = b ? this.level(b, t) : this.perMinute * WINDOW_MS;
    if (units < WINDOW_MS) {
      this.buckets.set(key, { units, at: t });
      return Math.max(1, Math.ceil((WINDOW_MS - units) / (this.perMinute * 1000)));
    }
    this.buckets.set(key, { units: units - WINDOW_MS, at: t });
    if (this.buckets.size > SWEEP_AT) this.sweep(t);
    return undefined;
  }

  /** Drops the buckets that are full again (their nodes start afresh, as they would anyway). */
  private sweep(t: number): void {
    for (const [k, b] of this.buckets)
      if (this.level(b, t) >= this.perMinute * WINDOW_MS) this.buckets.delete(k);
  }

  /** Nodes tracked now. */
  get size(): number {
    return this.buckets.size;
  }
}
