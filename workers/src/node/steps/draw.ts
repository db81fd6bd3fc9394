/** draw: at the seat deadline, a verifier node calls drawVerifiers (once per task, whoever is first). */
import type { Logger } from "pino";
import type { StepContext } from "../context.ts";
import type { DrawJob, NextJob } from "../jobs.ts";
import { RescheduleError } from "../queues.ts";
import { revertedWith } from "../../chain/reads.ts";
import { isFinalStatus } from "../../protocol/constants.ts";

export async function draw(ctx: StepContext, data: DrawJob, log: Logger): Promise<NextJob[]> {
  const taskId = BigInt(data.taskId);
  const t = await ctx.chain.task(taskId);
  const asked = BigInt(t.verifierSeed) !== 0n || t.verifierSeedBlock !== 0n;
  if (isFinalStatus(t.status) || t.seatHolders.length === 0 || asked) return [];
  const now = ctx.chainNow();
  if (now < t.seatDeadline)
    throw new RescheduleError(t.seatDeadline, "drawVerifiers opens at the seat deadline");
  if (now >= t.verifyDeadline) return [];
  try {
    await ctx.tx.send("drawVerifiers", [taskId], { log });
  } catch (e) {
    if (revertedWith(e, ["TaskManagerTooEarly"])) throw new RescheduleError(t.seatDeadline, "too early");
    // Someone else drew first, or the window moved on: nothing left to do.
    const harmless = [
      "TaskManagerAlreadyDrawn",
      "TaskManagerNoSeatCommitted",
      "TaskManagerTooLate",
      "TaskManagerNotOpen",
    ] as const;
    if (revertedWith(e, harmless)) return [];
    throw e;
  }
  return [];
}
