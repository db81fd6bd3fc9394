/**
 * finalize: after the reveal deadline, finalize the task (whoever is first); then ask for the
 * settlement: liquidations (verifier role), the claim and the delivery of the result.
 */
import type { Address } from "viem";
import type { Logger } from "pino";
import type { StepContext } from "../context.ts";
import type { FinalizeJob, NextJob } from "../jobs.ts";
import { RescheduleError } from "../queues.ts";
import { TxRevertError } from "../../chain/errors.ts";
import type { Task } from "../../chain/reads.ts";
import { TaskStatus, isFinalStatus } from "../../protocol/constants.ts";

/** The finalized task (finalizing it when nobody did yet); undefined when there is nothing to do. */
async function finalized(ctx: StepContext, taskId: bigint, log: Logger): Promise<Task | undefined> {
  const t = await ctx.chain.task(taskId);
  if (t.status === TaskStatus.None || t.status === TaskStatus.Cancelled) return undefined;
  if (isFinalStatus(t.status)) return t;
  if (ctx.chainNow() < t.revealDeadline)
    throw new RescheduleError(t.revealDeadline, "reveal deadline not reached");
  if (t.seatHolders.length === 0 && !ctx.common.config.roles.includes("verifier")) return undefined;
  try {
    await ctx.tx.send("finalize", [taskId], { log });
  } catch (e) {
    if (!(e instanceof TxRevertError)) throw e; // any revert: someone finalized first, or not yet (re-read below)
  }
  const after = await ctx.chain.task(taskId);
  if (!isFinalStatus(after.status)) throw new Error("task not finalized yet");
  return after;
}

/** Liquidation jobs for every other node that committed (every known node in a disputed task). */
async function liquidations(ctx: StepContext, data: FinalizeJob, t: Task): Promise<NextJob[]> {
  if (!ctx.common.config.roles.includes("verifier")) return [];
  const candidates = new Set([
    ...(await ctx.redis.smembers(ctx.key(`committers:${data.taskId}`))),
    ...(t.disputed ? await ctx.redis.smembers(ctx.key("nodes")) : []),
  ]);
  candidates.delete(ctx.me.toLowerCase());
  return [...candidates].map((n) => ({
    data: { step: "settle", taskId: data.taskId, action: "liquidate", node: n as Address },
  }));
}

export async function finalize(ctx: StepContext, data: FinalizeJob, log: Logger): Promise<NextJob[]> {
  const taskId = BigInt(data.taskId);
  const t = await finalized(ctx, taskId, log);
  if (!t) return [];
  const next = await liquidations(ctx, data, t);
  const mine = await ctx.chain.commitment(taskId, ctx.me);
  if (BigInt(mine.commitment) === 0n || mine.voided) return next;
  if (t.status === TaskStatus.Finalized) {
    if (mine.revealed && mine.outputHash === t.acceptedOutputHash) ctx.common.metrics.won.inc();
    else ctx.common.metrics.lost.inc({ reason: "wrong-or-silent" });
  }
  next.push({ data: { step: "settle", taskId: data.taskId, action: "claim" } });
  if (t.status === TaskStatus.Finalized && !t.delivered)
    next.push({ data: { step: "settle", taskId: data.taskId, action: "deliver" } });
  return next;
}
