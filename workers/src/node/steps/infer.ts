/**
 * infer: decide whether this node has a real chance of a place, then run the model and ask for
 * the commit. Every decision comes from one consistent read (the task and the node's rank or
 * eligibility in the same block): a "no" that an unknown seed explains reschedules the job, it
 * never completes it (issue 17, item 1).
 */
import { maxUint256 } from "viem";
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { StepContext } from "../context.ts";
import type { InferJob, NextJob } from "../jobs.ts";
import { RescheduleError } from "../queues.ts";
import { Place, PLACE_NAME } from "../../protocol/constants.ts";
import { betterRanked, drawOf, isOver, rememberTask, seedUnknownAt } from "./seats.ts";
import { computeOutput, record } from "./output.ts";

/** Whether a seat is worth the model run (throws RescheduleError to look again later). */
async function seatChance(ctx: StepContext, data: InferJob, at: bigint, log: Logger): Promise<boolean> {
  const taskId = BigInt(data.taskId);
  const [t, rank] = await Promise.all([ctx.chain.task(taskId, at), ctx.chain.rank(taskId, ctx.me, at)]);
  rememberTask(ctx, taskId, t);
  const now = ctx.chainNow();
  if (isOver(t) || now >= t.seatDeadline) return false;
  if (seedUnknownAt(t.seatSeed, t.seatSeedBlock, at)) {
    data.seedWaitFrom ??= Date.now();
    throw new RescheduleError(now + 1n, "seat seed not known yet", ctx.common.config.pollIntervalMs);
  }
  if (rank === maxUint256) {
    log.info({ block: at.toString() }, "not a compute node of this task's snapshot; skipped");
    ctx.common.metrics.skipped.inc({ reason: "not-eligible" });
    return false;
  }
  const better = await betterRanked(ctx, taskId, rank, at);
  if (better < t.redundancy) return true;
  // A real chance only if better-ranked nodes stay away: look again halfway through the window.
  const half = t.createdAt + (t.seatDeadline - t.createdAt) / 2n;
  if (now < half) throw new RescheduleError(half, `${better} better-ranked nodes; re-check at half window`);
  if (t.seatHolders.length < t.redundancy) return true;
  log.info({ better }, "rank gives no real chance of a seat; skipped (no model run)");
  ctx.common.metrics.lost.inc({ reason: "rank" });
  return false;
}

/** Whether this node is a drawn verifier or juror, judged from one block (reschedules while the seed is unknown). */
async function drawn(ctx: StepContext, data: InferJob, at: bigint, log: Logger): Promise<boolean> {
  const taskId = BigInt(data.taskId);
  const place = data.place as typeof Place.Verifier | typeof Place.Juror;
  const [t, el, mine] = await Promise.all([
    ctx.chain.task(taskId, at),
    ctx.chain.eligibility(taskId, ctx.me, at),
    ctx.chain.commitment(taskId, ctx.me, at),
  ]);
  rememberTask(ctx, taskId, t);
  if (isOver(t) || BigInt(mine.commitment) !== 0n) return false; // over, or committed already (a rescan)
  if (place === Place.Verifier ? el.verifier : el.juror) return true;
  const draw = drawOf(t, place);
  const now = ctx.chainNow();
  if (seedUnknownAt(draw.seed, draw.seedBlock, at)) {
    if (now < draw.closesAt)
      throw new RescheduleError(now + 1n, "draw seed not known yet", ctx.common.config.pollIntervalMs);
    log.info(
      { place: PLACE_NAME[place], block: at.toString() },
      "duty skipped: draw seed never known before the window closed",
    );
    ctx.common.metrics.skipped.inc({ reason: "seed-unknown" });
    return false;
  }
  log.info(
    { place: PLACE_NAME[place], block: at.toString() },
    "not drawn (seed known at this block); no duty",
  );
  ctx.common.metrics.skipped.inc({ reason: "not-drawn" });
  return false;
}

export async function infer(ctx: StepContext, data: InferJob, log: Logger): Promise<NextJob[]> {
  const at = await ctx.chain.blockNumber();
  const go =
    data.place === Place.Seat ? await seatChance(ctx, data, at, log) : await drawn(ctx, data, at, log);
  if (!go) return [];
  const rec = await record(ctx, BigInt(data.taskId));
  const t0 = performance.now();
  const out = await computeOutput(ctx, rec, log);
  if (!out) return [];
  const inferMs = performance.now() - t0;
  const seedWaitMs = data.seedWaitFrom ? Date.now() - data.seedWaitFrom - inferMs : 0;
  return [
    {
      data: {
        step: "commit",
        taskId: data.taskId,
        place: data.place,
        seenAt: data.seenAt,
        inferMs,
        seedWaitMs,
      },
    },
  ];
}
