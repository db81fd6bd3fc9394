/**
 * The relayer of relay mode (docs/operator.md "Relay mode"): one key that pays the gas and sends
 * the signed commitments, the reveals and the claims of several node keys (or of other nodes that
 * hand it their signed entries) in commitBatch, revealBatch and claimBatch. Three batchers gather
 * the entries (batcher.ts: size, max delay, deadline − block time × safety blocks); a ticker
 * follows the chain's clock while entries wait, so a batch goes out before its earliest deadline
 * even when no new entry arrives. `stats()` says how many batches, entries and gas went out.
 */
import type { Logger } from "pino";
import type { Address, Hash } from "viem";
import type { ChainClients } from "../../chain/clients.ts";
import { ChainError } from "../../chain/errors.ts";
import type { Submitter } from "../../chain/submitter.ts";
import type { ProfitGuard } from "../../chain/profit.ts";
import { Batcher, type BatchPolicy, type FlushReason } from "./batcher.ts";
import {
  CLAIMS,
  COMMITS,
  REVEALS,
  entryKey,
  sendEntries,
  type BatchKind,
  type BatchSent,
  type ClaimEntry,
  type CommitEntry,
  type RevealEntry,
  type SendEnv,
} from "./send.ts";

export interface RelayerOptions {
  submitter: Submitter;
  publicClient: ChainClients["publicClient"];
  taskManager: Address;
  policy: BatchPolicy;
  logger: Logger;
  /** How often the chain's clock is read while entries wait (ms). */
  pollIntervalMs: number;
  /** Called for each transaction the relayer mined (metrics). */
  onBatch?(b: BatchSent): void;
  /** The profitability guard of the commitments that carry an expected reward (guard.ts). */
  profit?: ProfitGuard;
}

/** What went out, per kind of entry. */
export interface RelayStats {
  /** Transactions mined (batches and single calls). */
  transactions: number;
  entries: number;
  gasUsed: bigint;
}

/** The error of an entry still waiting when the relayer stops: its job retries at the next start. */
export class RelayStoppedError extends ChainError {
  constructor() {
    super("relay stopping: entry not sent; its job retries at the next start", {
      retryable: true,
      code: "RELAY_STOPPED",
    });
    this.name = "RelayStoppedError";
  }
}

export class Relayer {
  readonly address: Address;
  private readonly commits: Batcher<CommitEntry>;
  private readonly reveals: Batcher<RevealEntry>;
  private readonly claims: Batcher<ClaimEntry>;
  private readonly totals = new Map<BatchKind, RelayStats>();
  private ticker?: NodeJS.Timeout;
  private ticking = false;

  constructor(private readonly opts: RelayerOptions) {
    this.address = opts.submitter.account;
    const env: SendEnv = {
      submitter: opts.submitter,
      taskManager: opts.taskManager,
      logger: opts.logger,
      onBatch: (b) => this.record(b),
      profit: opts.profit,
    };
    const flushed = (kind: BatchKind) => (reason: FlushReason, size: number) =>
      opts.logger.debug({ kind, reason, entries: size }, "relay: batch flushed");
    this.commits = new Batcher(
      "commits",
      opts.policy,
      (i) => sendEntries(env, COMMITS, i),
      flushed("commit"),
    );
    this.reveals = new Batcher(
      "reveals",
      opts.policy,
      (i) => sendEntries(env, REVEALS, i),
      flushed("reveal"),
    );
    this.claims = new Batcher("claims", opts.policy, (i) => sendEntries(env, CLAIMS, i), flushed("claim"));
  }

  private record(b: BatchSent): void {
    const s = this.totals.get(b.kind) ?? { transactions: 0, entries: 0, gasUsed: 0n };
    s.transactions++;
    s.entries += b.entries;
    s.gasUsed += b.gasUsed;
    this.totals.set(b.kind, s);
    const perEntry = b.entries > 0 ? (b.gasUsed / BigInt(b.entries)).toString() : undefined;
    this.opts.logger.info(
      {
        kind: b.kind,
        fn: b.fn,
        entries: b.entries,
        gasUsed: b.gasUsed.toString(),
        gasPerEntry: perEntry,
        hash: b.hash,
      },
      "relay: batch mined",
    );
    this.opts.onBatch?.(b);
  }

  /** Batches, entries and gas so far, per kind. */
  stats(): Record<BatchKind, RelayStats> {
    const zero = (): RelayStats => ({ transactions: 0, entries: 0, gasUsed: 0n });
    return {
      commit: { ...(this.totals.get("commit") ?? zero()) },
      reveal: { ...(this.totals.get("reveal") ?? zero()) },
      claim: { ...(this.totals.get("claim") ?? zero()) },
    };
  }

  /** Entries waiting now, per kind. */
  waiting(): Record<BatchKind, number> {
    return { commit: this.commits.size, reveal: this.reveals.size, claim: this.claims.size };
  }

  /**
   * Queues a signed commitment (from a held key or another node) that must be mined before chain
   * time `deadline` (the place's window); resolves with the hash of the transaction that carried it.
   * With `c.expectedReward`, the profitability guard may leave it out (UnprofitableError).
   */
  commit(c: CommitEntry, deadline: bigint, chainNow?: bigint): Promise<Hash> {
    this.observe(chainNow);
    return this.commits.add(entryKey(c), c, deadline) as Promise<Hash>;
  }

  /** Queues a reveal that must be mined before `deadline` (the task's revealDeadline). */
  reveal(r: RevealEntry, deadline: bigint, chainNow?: bigint): Promise<Hash> {
    this.observe(chainNow);
    return this.reveals.add(entryKey(r), r, deadline) as Promise<Hash>;
  }

  /** Queues a claim for `node` (claims have no deadline: size or max delay sends them). */
  claim(c: ClaimEntry): Promise<Hash> {
    return this.claims.add(entryKey(c), c) as Promise<Hash>;
  }

  /** A chain time seen elsewhere (a node's head): batches whose deadline is near go out at once. */
  observe(chainNow?: bigint): void {
    if (chainNow === undefined || chainNow === 0n) return;
    for (const b of [this.commits, this.reveals]) b.tick(chainNow);
  }

  /** Starts following the chain's clock (read only while entries with a deadline wait). */
  start(): void {
    this.ticker = setInterval(() => void this.tick(), this.opts.pollIntervalMs);
    this.ticker.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.commits.size + this.reveals.size === 0) return;
    this.ticking = true;
    try {
      const b = await this.opts.publicClient.getBlock({ blockTag: "latest" });
      this.observe(b.timestamp);
    } catch (e) {
      this.opts.logger.debug(
        { err: (e as Error).message.split("\n")[0] },
        "relay: cannot read the chain's clock",
      );
    } finally {
      this.ticking = false;
    }
  }

  /** Rejects what still waits (its jobs retry at the next start) and waits for batches in flight. */
  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    await Promise.all([this.commits, this.reveals, this.claims].map((b) => b.stop(new RelayStoppedError())));
  }
}
