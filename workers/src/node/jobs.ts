/** Job types of the worker's queues: one queue per step of a task's life (PROTOCOL.md §4, §8). */
import type { Address } from "viem";

export const STEPS = ["infer", "commit", "reveal", "finalize", "settle"] as const;
/**
 * infer: run the model for a place (seat, verifier, juror) and keep the canonical output;
 * commit: drawVerifiers (verifier role) or commit the sealed result once eligible;
 * reveal: reveal in the reveal window; finalize: finalize after the reveal deadline;
 * settle: claim, liquidate, deliver, withdraw.
 */
export type Step = (typeof STEPS)[number];

/** Place of a commitment: 1 seat, 2 sampled verifier, 3 juror (the Committed event's `place`). */
export type Place = 1 | 2 | 3;

export type SettleAction = "claim" | "liquidate" | "deliver" | "withdraw" | "release";
export type CommitAction = "commit" | "draw";

/** Data of every job. Amounts and ids are decimal strings (JSON has no bigint). */
export interface TaskJobData {
  taskId: string;
  /** Chain time (seconds) at or after which the job may run; the queue promotes it then. */
  dueAt?: string;
  place?: Place;
  /** commit queue: "commit" (default) or "draw" (drawVerifiers). */
  commitAction?: CommitAction;
  /** settle queue: what to do. */
  action?: SettleAction;
  /** liquidate/release: the node concerned. */
  node?: Address;
  /** Wall-clock ms when the bot first saw TaskCreated (latency metric). */
  seenAt?: number;
  /** Milliseconds the model run took (excluded from the TaskCreated → commit latency metric). */
  inferMs?: number;
  /** Wall-clock ms when the job started waiting for a seed (2 blocks after the call that fixes it). */
  seedWaitFrom?: number;
  /** Milliseconds spent waiting for the seed (excluded from the latency metric: the protocol's wait, not the bot's). */
  seedWaitMs?: number;
}

/** The dedupe key of a job: `task-<id>-<step>[-<suffix>]` (BullMQ ids cannot contain ':'). */
export function jobIdOf(taskId: bigint | string, step: string, suffix?: string): string {
  const id = `task-${taskId.toString()}-${step}${suffix ? `-${suffix}` : ""}`;
  if (id.includes(":")) throw new Error(`job id "${id}" must not contain ':'`);
  return id;
}
