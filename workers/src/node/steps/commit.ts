/**
 * commit: once eligible, seal the result to the requester and commit; then ask for the reveal
 * (at the commit deadline) and the finalize (at the reveal deadline).
 */
import { UnrecoverableError } from "bullmq";
import type { Logger } from "pino";
import { performance } from "node:perf_hooks";
import type { StepContext } from "../context.ts";
import type { CommitJob, NextJob } from "../jobs.ts";
import { RescheduleError } from "../queues.ts";
import { UnprofitableError } from "../../chain/errors.ts";
import { revertedWith, taskManagerError, type Task } from "../../chain/reads.ts";
import { Place, PLACE_NAME } from "../../protocol/constants.ts";
import { commitmentOf, sealOutput } from "../../protocol/index.ts";
import { computeOutput, record, salt } from "./output.ts";
import { drawOf, FINAL_COMMIT_ERRORS, isOver, nextSeatStep, recentTask, seedUnknownAt } from "./seats.ts";

/**
 * The task, or undefined when there is nothing to commit. A verifier or juror checks its
 * commitment and eligibility in one block (a seat leaves that to the simulation in send()).
 */
async function readyTask(ctx: StepContext, data: CommitJob, log: Logger): Promise<Task | undefined> {
  const taskId = BigInt(data.taskId);
  if (data.place === Place.Seat) {
    const t = await recentTask(ctx, taskId, 2000);
    return isOver(t) ? undefined : t;
  }
  const at = await ctx.chain.blockNumber();
  const [t, mine, el] = await Promise.all([
    ctx.chain.task(taskId, at),
    ctx.chain.commitment(taskId, ctx.me, at),
    ctx.chain.eligibility(taskId, ctx.me, at),
  ]);
  if (isOver(t) || BigInt(mine.commitment) !== 0n) return undefined; // over, or done already
  if (data.place === Place.Verifier ? el.verifier : el.juror) return t;
  const draw = drawOf(t, data.place);
  if (seedUnknownAt(draw.seed, draw.seedBlock, at) && ctx.chainNow() < draw.closesAt)
    throw new RescheduleError(
      ctx.chainNow() + 1n,
      "draw seed not known yet",
      ctx.common.config.pollIntervalMs,
    );
  log.info(
    { place: PLACE_NAME[data.place], block: at.toString() },
    "duty skipped: no longer eligible; not committing",
  );
  return undefined;
}

/** What a refused commit means: done, try later, stop, or a real error (rethrown). */
function onRefused(
  ctx: StepContext,
  e: unknown,
  data: CommitJob,
  t: Task,
  now: bigint,
  log: Logger,
): NextJob[] {
  if (revertedWith(e, ["TaskManagerAlreadyCommitted"])) return []; // done already (a rerun after a restart)
  if (e instanceof UnprofitableError) {
    // The guard of a single transaction or of a relayed commitment (relay/guard.ts): not retried.
    log.info({ err: e.message }, "commit skipped: the reward does not pay for the gas");
    ctx.common.metrics.skipped.inc({ reason: "unprofitable" });
    return [];
  }
  if (revertedWith(e, ["TaskManagerNotEligible"]) && data.place === Place.Seat && now < t.seatDeadline)
    throw new RescheduleError(nextSeatStep(t, now), "not eligible (race)");
  if (revertedWith(e, FINAL_COMMIT_ERRORS)) {
    const reason = taskManagerError(e)!;
    log.info({ reason }, "commit refused; this node stops trying (no more gas spent)");
    ctx.common.metrics.lost.inc({ reason });
    return [];
  }
  if (revertedWith(e, ["TaskManagerBondUnavailable"])) {
    log.error("stake too small for this task's bond; top up the stake");
    throw new UnrecoverableError(e.message);
  }
  throw e;
}

export async function commit(ctx: StepContext, data: CommitJob, log: Logger): Promise<NextJob[]> {
  const taskId = BigInt(data.taskId);
  const T0 = performance.now();
  const queuedMs = data.seenAt ? Date.now() - data.seenAt : undefined;
  const t = await readyTask(ctx, data, log);
  if (!t) return [];
  const now = ctx.chainNow();
  const rec = await record(ctx, taskId);
  const out = await computeOutput(ctx, rec, log);
  if (!out) return [];
  const s = await salt(ctx, taskId);
  const commitment = commitmentOf(taskId, ctx.me, out.outputHash, s);
  const sealed = sealOutput(rec.resultKey, taskId, ctx.me, s, out.canonical);
  let latencyMs: number | undefined;
  let timing: Record<string, number | undefined> = {};
  const T1 = performance.now();
  // TaskCreated seen → commit sent, the model run and the protocol's seed wait excluded.
  const onSent = () => {
    timing = { queuedMs, prepMs: Math.round(T1 - T0), sendMs: Math.round(performance.now() - T1) };
    if (!data.seenAt) return;
    latencyMs = Math.max(0, Date.now() - data.seenAt - (data.inferMs ?? 0) - (data.seedWaitMs ?? 0));
    ctx.common.metrics.createdToCommitSeconds.observe(latencyMs / 1000);
  };
  const expectedReward = data.place === Place.Seat ? t.workerShare : undefined;
  try {
    await ctx.tx.send("commit", [taskId, commitment, sealed], {
      log,
      expectedReward,
      onSent,
      place: data.place,
    });
  } catch (e) {
    return onRefused(ctx, e, data, t, now, log);
  }
  const place = PLACE_NAME[data.place];
  ctx.common.metrics.committed.inc({ place });
  const extra = { latencyMs, inferMs: data.inferMs, seedWaitMs: data.seedWaitMs, ...timing };
  log.info({ place, outputHash: out.outputHash, ...extra }, "committed");
  return [
    { data: { step: "reveal", taskId: data.taskId }, dueAt: t.commitDeadline },
    { data: { step: "finalize", taskId: data.taskId }, dueAt: t.revealDeadline },
  ];
}
