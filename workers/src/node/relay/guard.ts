/**
 * The profitability guard of relayed commitments (docs/operator.md §11): with omnitPerEth > 0, a
 * commitment of one of the relayer's own node keys whose expected reward (the worker share, as
 * the single-transaction path uses it) is below profitFactor × its share of the batch's gas cost
 * in OMNIT is left out of the batch with an UnprofitableError, which its job treats as a single
 * transaction's (the task is skipped as "unprofitable").
 *
 * An entry's share of the gas: its own simulated estimate (eth_estimateGas of commitWithSig alone)
 * less the transaction base cost (21,000), plus 21,000 / n, n being the entries that go out
 * together; times the current max fee per gas. Leaving an entry out raises the others' shares of
 * the base cost, so the check runs again on the rest until none is left out. Entries without an
 * expected reward (another node's, posted at the door; reveals and claims) are never left out.
 */
import type { Logger } from "pino";
import type { Address } from "viem";
import { guardOn, unprofitable, type ProfitGuard } from "../../chain/profit.ts";
import type { Submitter } from "../../chain/submitter.ts";
import type { BatchItem } from "./batcher.ts";

/** Gas of a transaction's base cost, paid once per transaction whatever it carries. */
export const TX_BASE_GAS = 21_000n;

/** An entry simulated alone: its item and its own gas estimate. */
export interface Screened<E> {
  item: BatchItem<E>;
  gas: bigint;
}

/** An entry's share of the gas of a batch of `n`: its own estimate, the base cost split among the n. */
export function gasShare(estimate: bigint, n: number): bigint {
  const base = estimate < TX_BASE_GAS ? estimate : TX_BASE_GAS;
  return estimate - base + TX_BASE_GAS / BigInt(Math.max(n, 1));
}

export interface GuardEnv {
  submitter: Pick<Submitter, "maxFeePerGas">;
  logger: Logger;
  profit?: ProfitGuard;
}

/**
 * Leaves out (rejects with UnprofitableError, logged) the entries whose `reward` does not pay for
 * their share of the batch's gas; returns the others. `fn`: the single call's name (the error's).
 */
export async function leaveOutUnprofitable<E extends { taskId: bigint; node: Address }>(
  env: GuardEnv,
  fn: string,
  ok: Screened<E>[],
  reward: (e: E) => bigint | undefined,
): Promise<Screened<E>[]> {
  if (!guardOn(env.profit) || !ok.some((o) => reward(o.item.entry) !== undefined)) return ok;
  const maxFee = await env.submitter.maxFeePerGas(fn);
  let kept = ok;
  for (;;) {
    const n = kept.length;
    const losses = kept.map((o) =>
      unprofitable(fn, reward(o.item.entry), gasShare(o.gas, n) * maxFee, env.profit),
    );
    if (losses.every((l) => l === undefined)) return kept;
    kept.forEach((o, k) => {
      const loss = losses[k];
      if (!loss) return;
      const e = o.item.entry;
      env.logger.info(
        {
          fn,
          taskId: e.taskId.toString(),
          node: e.node,
          reward: reward(e)?.toString(),
          gasShare: gasShare(o.gas, n).toString(),
          entries: n,
          maxFeePerGas: maxFee.toString(),
        },
        "relay: entry unprofitable; left out of the batch",
      );
      o.item.reject(loss);
    });
    kept = kept.filter((_o, k) => losses[k] === undefined);
  }
}
