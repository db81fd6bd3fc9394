/** settle: liquidate a wrong or silent node, claim, deliver the result, withdraw the credit. */
import { toBytes, toHex, type Address } from "viem";
import type { Logger } from "pino";
import type { StepContext, TaskManagerArgs, TaskManagerWrite } from "../context.ts";
import type { NextJob, SettleJob } from "../jobs.ts";
import { revertedWith, type TaskManagerErrorName } from "../../chain/reads.ts";
import { TaskStatus } from "../../protocol/constants.ts";
import { computeOutput, record } from "./output.ts";

/** Sends; a revert named in `harmless` (the work was done, or cannot be) returns false. */
async function tolerate<F extends TaskManagerWrite>(
  ctx: StepContext,
  log: Logger,
  fn: F,
  args: TaskManagerArgs<F>,
  harmless: readonly TaskManagerErrorName[],
): Promise<boolean> {
  try {
    await ctx.tx.send(fn, args, { log });
    return true;
  } catch (e) {
    if (revertedWith(e, harmless)) return false;
    throw e;
  }
}

async function liquidate(ctx: StepContext, taskId: bigint, node: Address, log: Logger): Promise<NextJob[]> {
  const t = await ctx.chain.task(taskId);
  if (ctx.chainNow() >= t.liquidationDeadline) {
    log.info({ node }, "liquidation window over (Task.liquidationDeadline): not liquidating");
    return [];
  }
  if (!(await ctx.chain.isLiquidatable(taskId, node))) return [];
  const harmless = [
    "TaskManagerAlreadyLiquidated",
    "TaskManagerNotLiquidatable",
    "TaskManagerTooLate",
    "TaskManagerSelfLiquidation",
  ] as const;
  if (!(await tolerate(ctx, log, "liquidate", [taskId, node], harmless))) return [];
  ctx.common.metrics.liquidations.inc();
  log.info({ node }, "liquidated a wrong or silent node");
  // Liquidations add to what winners can claim: claim again afterwards.
  const mine = await ctx.chain.commitment(taskId, ctx.me);
  if (BigInt(mine.commitment) === 0n || mine.voided) return [];
  return [
    {
      data: { step: "settle", taskId: taskId.toString(), action: "claim" },
      suffix: `claim-after-${node.toLowerCase()}`,
    },
  ];
}

/** The most claims one claimBatch carries (its gas grows with each entry). */
export const MAX_CLAIMS_PER_BATCH = 50;

/**
 * Claims this task and every other one this node still has to claim, in one `claimBatch` (§8:
 * the base cost of a transaction is paid once). Pending claims live in a Redis set; an entry with
 * nothing (new) to claim is skipped by the contract, so a repeat costs nothing but gas.
 */
async function claim(ctx: StepContext, taskId: bigint, log: Logger): Promise<NextJob[]> {
  const key = ctx.key("claims");
  await ctx.redis.sadd(key, taskId.toString());
  const pending = (await ctx.redis.smembers(key)).map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const tasks = await Promise.all(pending.map((id) => ctx.chain.task(id)));
  const status = (i: number) => tasks[i]!.status;
  const gone = pending.filter((_, i) => status(i) === TaskStatus.None || status(i) === TaskStatus.Cancelled);
  if (gone.length) await ctx.redis.srem(key, ...gone.map(String));
  const ready = pending
    .filter((_, i) => status(i) === TaskStatus.Finalized || status(i) === TaskStatus.Unresolved)
    .slice(0, MAX_CLAIMS_PER_BATCH);
  if (ready.length === 0) return [];
  await ctx.tx.send("claimBatch", [ready, ready.map(() => ctx.me)], { log });
  await ctx.redis.srem(key, ...ready.map(String));
  log.info({ tasks: ready.map(String) }, "claimed (claimBatch)");
  return [
    {
      data: { step: "settle", taskId: taskId.toString(), action: "withdraw" },
      suffix: `withdraw-${Date.now()}`,
    },
  ];
}

async function deliver(ctx: StepContext, taskId: bigint, log: Logger): Promise<NextJob[]> {
  const t = await ctx.chain.task(taskId);
  if (t.delivered || t.status !== TaskStatus.Finalized) return [];
  const out = await computeOutput(ctx, await record(ctx, taskId), log);
  if (!out || out.outputHash !== t.acceptedOutputHash) return [];
  const harmless = ["TaskManagerAlreadyDelivered", "TaskManagerWrongOutput"] as const;
  await tolerate(ctx, log, "deliver", [taskId, toHex(toBytes(out.canonical))], harmless);
  return [];
}

async function withdraw(ctx: StepContext, log: Logger): Promise<NextJob[]> {
  if ((await ctx.chain.creditOf(ctx.me)) > 0n)
    await tolerate(ctx, log, "withdraw", [], ["TaskManagerNothingToWithdraw"]);
  return [];
}

export function settle(ctx: StepContext, data: SettleJob, log: Logger): Promise<NextJob[]> {
  const taskId = BigInt(data.taskId);
  switch (data.action) {
    case "liquidate":
      return liquidate(ctx, taskId, data.node, log);
    case "claim":
      return claim(ctx, taskId, log);
    case "deliver":
      return deliver(ctx, taskId, log);
    case "withdraw":
      return withdraw(ctx, log);
  }
}
