/** reveal: in [commitDeadline, revealDeadline), reveal the committed hash and the derived salt. */
import { UnrecoverableError } from "bullmq";
import type { Logger } from "pino";
import type { StepContext } from "../context.ts";
import type { NextJob, RevealJob } from "../jobs.ts";
import { RescheduleError } from "../queues.ts";
import { revertedWith } from "../../chain/reads.ts";
import { isFinalStatus } from "../../protocol/constants.ts";
import { commitmentOf } from "../../protocol/index.ts";
import { computeOutput, record, salt, type Output } from "./output.ts";

/** The output whose commitment is `commitment` (the cache, else a fresh model run). */
async function committedOutput(
  ctx: StepContext,
  taskId: bigint,
  commitment: string,
  log: Logger,
): Promise<Output> {
  const rec = await record(ctx, taskId);
  const s = await salt(ctx, taskId);
  const matches = (o?: Output) =>
    o !== undefined && commitmentOf(taskId, ctx.me, o.outputHash, s) === commitment.toLowerCase();
  const cached = await computeOutput(ctx, rec, log);
  if (matches(cached)) return cached!;
  const fresh = await computeOutput(ctx, rec, log, false); // the cache was lost or stale: recompute
  if (matches(fresh)) return fresh!;
  throw new UnrecoverableError("cannot reproduce the committed output (model or input changed?)");
}

export async function reveal(ctx: StepContext, data: RevealJob, log: Logger): Promise<NextJob[]> {
  const taskId = BigInt(data.taskId);
  const [t, mine] = await Promise.all([ctx.chain.task(taskId), ctx.chain.commitment(taskId, ctx.me)]);
  if (BigInt(mine.commitment) === 0n || mine.voided || mine.revealed || isFinalStatus(t.status)) return [];
  const now = ctx.chainNow();
  if (now < t.commitDeadline) throw new RescheduleError(t.commitDeadline, "reveal window not open");
  if (now >= t.revealDeadline) {
    log.error("reveal window closed before this node revealed");
    return [];
  }
  const out = await committedOutput(ctx, taskId, mine.commitment, log);
  try {
    await ctx.tx.send("reveal", [taskId, ctx.me, out.outputHash, await salt(ctx, taskId)], { log });
  } catch (e) {
    if (revertedWith(e, ["TaskManagerAlreadyRevealed"])) return []; // the requester revealed for us
    throw e;
  }
  ctx.common.metrics.revealed.inc();
  log.info({ outputHash: out.outputHash }, "revealed");
  return [];
}
