/**
 * The profitability guard (docs/bots.md `omnitPerEth`, `profitFactor`): a transaction whose
 * expected reward (OMNIT wei) is below profitFactor × its gas cost in OMNIT (gas wei × omnitPerEth)
 * is not sent. Used by the submitter for single transactions and by relay mode for each relayed
 * commitment (relay/guard.ts), so both paths apply the same rule.
 */
import { UnprofitableError } from "./errors.ts";

export interface ProfitGuard {
  /** OMNIT per ETH (0 disables the guard). */
  omnitPerEth?: number;
  /** The reward must be ≥ profitFactor × the gas cost (default 1). */
  profitFactor?: number;
}

/** Whether the guard is on (omnitPerEth > 0). */
export function guardOn(g: ProfitGuard | undefined): boolean {
  return (g?.omnitPerEth ?? 0) > 0;
}

/** `costWei` of gas in OMNIT wei at `omnitPerEth` (six decimals of the rate kept). */
export function omnitOf(costWei: bigint, omnitPerEth: number): bigint {
  return (costWei * BigInt(Math.round(omnitPerEth * 1e6))) / 1_000_000n;
}

/**
 * The UnprofitableError of a call of `fn` earning `reward` for `costWei` of gas, or undefined
 * when it pays, when the guard is off or when the call has no expected reward.
 */
export function unprofitable(
  fn: string,
  reward: bigint | undefined,
  costWei: bigint,
  g: ProfitGuard | undefined,
): UnprofitableError | undefined {
  if (!guardOn(g) || reward === undefined) return undefined;
  const costOmnit = omnitOf(costWei, g!.omnitPerEth!);
  const factor = BigInt(Math.round((g!.profitFactor ?? 1) * 1e6));
  return reward * 1_000_000n < costOmnit * factor ? new UnprofitableError(fn, reward, costOmnit) : undefined;
}
