/**
 * PROTOCOL.md §6 in integers, as the contracts compute it (contracts/libraries/Payouts.sol,
 * TaskSettlement): what a settlement adds to the verification pool, the liquidator's bounty.
 * Pure functions of what the events and the copied parameters say.
 */
const BPS = 10_000n;

export const bpsOf = (amount: bigint, bps: number): bigint => (amount * BigInt(bps)) / BPS;

/** The reward's split: royalty, verifier fee, worker share w (the division's remainder goes back to the requester). */
export function split(reward: bigint, royaltyBps: number, feeBps: number, redundancy: number) {
  const royalty = bpsOf(reward, royaltyBps);
  const fee = bpsOf(reward, feeBps);
  return { royalty, fee, w: (reward - royalty - fee) / BigInt(redundancy) };
}

/** What each of v paid verifiers and jurors is owed: min(w, fee / v). */
export const verifierPay = (w: bigint, fee: bigint, v: number): bigint =>
  v === 0 ? 0n : fee / BigInt(v) < w ? fee / BigInt(v) : w;

/** What a task's settlement needs to know of it. */
export interface Settled {
  reward: bigint;
  royaltyBps: number;
  verifierFeeBps: number;
  redundancy: number;
  disputed: boolean;
  disputeBond: bigint;
  /** live commitments (seats not displaced, verifiers, jurors) and reveals */
  live: number;
  reveals: number;
  /** verifier and juror reveals by output hash */
  verifierVotes: Record<string, number>;
}

/**
 * What finalize adds to the verification pool: the fee less what the paid verifiers and jurors
 * are owed (Finalized; Unresolved undisputed with a reveal; Unresolved disputed with an untied
 * leader), plus a forfeited dispute bond's remainder (Finalized, groundless dispute).
 */
export function poolOnSettle(
  t: Settled,
  outcome: { finalized: boolean; leader: string; n: number; tied: boolean },
): bigint {
  const { fee, w } = split(t.reward, t.royaltyBps, t.verifierFeeBps, t.redundancy);
  const votesFor = (h: string) => t.verifierVotes[h.toLowerCase()] ?? 0;
  const rest = (v: number) => fee - verifierPay(w, fee, v) * BigInt(v);
  if (outcome.finalized) {
    const v = votesFor(outcome.leader);
    const groundless = t.disputed && t.reveals === outcome.n && t.reveals === t.live && v > 0;
    return rest(v) + (groundless ? t.disputeBond % BigInt(v) : 0n);
  }
  if (!t.disputed && t.reveals !== 0) return rest(Object.values(t.verifierVotes).reduce((a, b) => a + b, 0));
  if (t.disputed && outcome.n !== 0 && !outcome.tied) return rest(votesFor(outcome.leader));
  return 0n;
}

/** A node's balances in NodeStaking (stake includes the locked bonds). */
export interface Balances {
  stake: bigint;
  locked: bigint;
  unbonding: bigint;
}

/**
 * NodeStaking.slash taking `slashed` in all, of which the task's `bond` first (at most what is
 * locked), then from the unlocked stake, then from the unbonding amount: the balances after.
 */
export function afterSlash(b: Balances, bond: bigint, slashed: bigint): Balances {
  const fromBond = bond < b.locked ? bond : b.locked;
  const stake = b.stake - fromBond;
  const locked = b.locked - fromBond;
  const rest = slashed - fromBond;
  const free = stake - locked;
  const fromStake = rest < free ? rest : free;
  return { stake: stake - fromStake, locked, unbonding: b.unbonding - (rest - fromStake) };
}
