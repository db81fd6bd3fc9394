/**
 * A batch gatherer of relay mode (docs/operator.md "Relay mode"): entries wait, each with the
 * chain time by which it must be mined (its deadline), and a batch is sent when
 *  - `batchSize` entries wait (the earliest deadlines first),
 *  - the oldest entry has waited `maxDelayMs` (wall clock), or
 *  - chain time + `marginS` reaches the earliest deadline (marginS = block time × safety blocks),
 * so a batch is never held past the point where one of its entries would miss its window.
 * One entry per key (a second add of a waiting key joins the first: no duplicate is sent). The
 * send function settles each item (resolve or reject); whatever it leaves unsettled, or every
 * item when it throws, is rejected: no entry is dropped silently.
 */

export interface BatchPolicy {
  batchSize: number;
  maxDelayMs: number;
  /** Seconds of chain time kept in hand before an entry's deadline. */
  marginS: bigint;
}

/** One waiting entry as the send function sees it. */
export interface BatchItem<E> {
  key: string;
  entry: E;
  /** Chain time (seconds) by which it must be mined; undefined: no deadline (claims). */
  deadline?: bigint;
  /** Settles the entry as mined, with the hash of the transaction that carried it. */
  resolve(hash: string): void;
  reject(e: unknown): void;
}

interface Waiting<E> extends BatchItem<E> {
  since: number;
  settled: boolean;
  done: Promise<string>;
}

export type SendBatch<E> = (items: BatchItem<E>[]) => Promise<void>;

/** Why a flush happened (logged and counted by the relayer). */
export type FlushReason = "size" | "delay" | "deadline" | "stop";

export class Batcher<E> {
  private readonly waiting = new Map<string, Waiting<E>>();
  private timer?: NodeJS.Timeout;
  private chainNow?: bigint;
  private closed?: Error;
  /** Batches being sent (stop() waits for them). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly name: string,
    private readonly policy: BatchPolicy,
    private readonly send: SendBatch<E>,
    private readonly onFlush?: (reason: FlushReason, size: number) => void,
  ) {}

  /** Entries waiting now. */
  get size(): number {
    return this.waiting.size;
  }

  /** The earliest deadline among the waiting entries. */
  earliestDeadline(): bigint | undefined {
    let min: bigint | undefined;
    for (const w of this.waiting.values())
      if (w.deadline !== undefined && (min === undefined || w.deadline < min)) min = w.deadline;
    return min;
  }

  /** Queues an entry; resolves with the transaction hash once it is mined (or rejects with why it was not). */
  add(key: string, entry: E, deadline?: bigint): Promise<string> {
    if (this.closed) return Promise.reject(this.closed);
    const existing = this.waiting.get(key);
    if (existing) return existing.done;
    let resolve!: (hash: string) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<string>((res, rej) => ((resolve = res), (reject = rej)));
    const w: Waiting<E> = {
      key,
      entry,
      deadline,
      since: Date.now(),
      settled: false,
      done,
      resolve: (hash) => ((w.settled = true), resolve(hash)),
      reject: (e) => ((w.settled = true), reject(e)),
    };
    this.waiting.set(key, w);
    this.check();
    return done;
  }

  /** The chain time moved: sends a batch whose earliest deadline is near. */
  tick(chainNow: bigint): void {
    this.chainNow = chainNow;
    this.check();
  }

  /** What is due now, if anything. */
  private due(): FlushReason | undefined {
    if (this.waiting.size === 0) return undefined;
    if (this.waiting.size >= this.policy.batchSize) return "size";
    const earliest = this.earliestDeadline();
    if (
      earliest !== undefined &&
      this.chainNow !== undefined &&
      this.chainNow + this.policy.marginS >= earliest
    )
      return "deadline";
    const oldest = Math.min(...[...this.waiting.values()].map((w) => w.since));
    if (Date.now() - oldest >= this.policy.maxDelayMs) return "delay";
    this.arm(oldest + this.policy.maxDelayMs - Date.now());
    return undefined;
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), Math.max(ms, 1));
    this.timer.unref?.();
  }

  private check(): void {
    if (this.closed) return;
    for (let reason = this.due(); reason; reason = this.due()) this.flush(reason);
  }

  /** Takes up to batchSize entries (earliest deadline first) and sends them. */
  private flush(reason: FlushReason): void {
    const byDeadline = [...this.waiting.values()].sort((a, b) => {
      if (a.deadline !== b.deadline) {
        if (a.deadline === undefined) return 1;
        if (b.deadline === undefined) return -1;
        return a.deadline < b.deadline ? -1 : 1;
      }
      return a.since - b.since;
    });
    const batch = byDeadline.slice(0, this.policy.batchSize);
    for (const w of batch) this.waiting.delete(w.key);
    if (this.waiting.size === 0 && this.timer) clearTimeout(this.timer);
    this.onFlush?.(reason, batch.length);
    const p = this.send(batch)
      .then(
        () => this.rejectUnsettled(batch, new Error(`${this.name}: entry left unsettled by its batch`)),
        (e: unknown) => this.rejectUnsettled(batch, e),
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private rejectUnsettled(batch: Waiting<E>[], e: unknown): void {
    for (const w of batch) if (!w.settled) w.reject(e);
  }

  /** Rejects every waiting entry with `why` (their jobs retry after a restart) and waits for batches in flight. */
  async stop(why: Error): Promise<void> {
    this.closed = why;
    if (this.timer) clearTimeout(this.timer);
    const left = [...this.waiting.values()];
    this.waiting.clear();
    if (left.length) this.onFlush?.("stop", left.length);
    for (const w of left) w.reject(why);
    await Promise.allSettled([...this.inFlight]);
  }
}
