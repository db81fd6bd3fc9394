/**
 * seed: every bot stores the seeds it will be judged by (PROTOCOL.md §4.1, §8): `fixSeed` two
 * blocks after the createTask, drawVerifiers or dispute that asked for a seed, so that nobody's
 * draw waits for a re-anchor. A seed still unstored when its block b + 1 is older than 256 blocks
 * is lost: `fixSeed` re-anchors it (SeedRequested, the seed now comes from the block after the
 * call) and this job calls again two blocks later, which stores it. Idempotent: a stored seed, a
 * task over, or a window in which no commit needs the seed any more ends the job without a
 * transaction.
 */
import type { Logger } from "pino";
import type { StepContext } from "../context.ts";
import type { NextJob, SeedJob } from "../jobs.ts";
import { RescheduleError } from "../queues.ts";
import { revertedWith } from "../../chain/reads.ts";
import { SeedKind } from "../../protocol/constants.ts";
import { isOver, seedLostAt, seedOf } from "./seats.ts";

const KIND_NAME = { 1: "seats", 2: "verifiers", 3: "jury" } as const;

/** Look again after the next poll (blocks, not chain time, decide when a seed is known). */
function again(ctx: StepContext, why: string): RescheduleError {
  return new RescheduleError(ctx.chainNow(), why, ctx.common.config.pollIntervalMs);
}

export async function seed(ctx: StepContext, data: SeedJob, log: Logger): Promise<NextJob[]> {
  const taskId = BigInt(data.taskId);
  const kind = KIND_NAME[data.kind];
  const at = await ctx.chain.blockNumber();
  // Known from block b + 2: no read before then.
  if (at < BigInt(data.anchor) + 2n)
    throw again(ctx, `the ${kind} seed is known from block ${BigInt(data.anchor) + 2n}`);
  const t = await ctx.chain.task(taskId, at);
  const s = seedOf(t, data.kind);
  if (BigInt(s.seed) !== 0n || isOver(t) || s.seedBlock === 0n) return []; // stored, over, or never asked for
  if (ctx.chainNow() >= s.closesAt) {
    log.debug({ kind }, "seed no longer needed by any commit; not stored");
    return [];
  }
  if (at < s.seedBlock + 2n) throw again(ctx, `the ${kind} seed is known from block ${s.seedBlock + 2n}`);
  // The jury seed is stored only after the verifier seed (fixSeed(t, 3) pokes kind 2 first).
  const v = seedOf(t, SeedKind.Verifiers);
  if (data.kind === SeedKind.Jury && BigInt(v.seed) === 0n && at < v.seedBlock + 2n)
    throw again(ctx, `the verifier seed (stored first) is known from block ${v.seedBlock + 2n}`);
  const lost = seedLostAt(s.seed, s.seedBlock, at);
  try {
    await ctx.tx.send("fixSeed", [taskId, data.kind], { log });
  } catch (e) {
    if (revertedWith(e, ["TaskManagerUnknownTask"])) return [];
    throw e;
  }
  const after = seedOf(await ctx.chain.task(taskId), data.kind);
  // Another node's call may land between ours and this read: a moved block says a re-anchor happened.
  const moved = after.seedBlock !== s.seedBlock;
  if (moved) {
    ctx.common.metrics.seeds.inc({ outcome: "reanchored", kind });
    log.warn(
      { kind, lostBlock: s.seedBlock.toString(), block: after.seedBlock.toString() },
      "seed was lost (nobody stored it within 256 blocks): re-anchored; it is stored two blocks later",
    );
  }
  if (BigInt(after.seed) !== 0n) {
    ctx.common.metrics.seeds.inc({ outcome: "stored", kind });
    log.info({ kind, seed: after.seed }, "seed stored");
    return [];
  }
  if (!moved && lost) log.debug({ kind }, "seed looked lost but was not re-anchored; trying again");
  throw again(ctx, `the ${kind} seed is not stored yet`);
}
