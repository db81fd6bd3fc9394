/**
 * Job data of the node's queues: one queue per step of a task's life (PROTOCOL.md §4, §8), and
 * one discriminated union of what each step's jobs carry (`step` is the discriminant).
 * Amounts and ids are decimal strings (JSON has no bigint).
 */
import type { Address } from "viem";
import { PLACE_NAME, type Place, type SeedKind } from "../protocol/constants.ts";

export const STEPS = ["infer", "draw", "seed", "commit", "reveal", "finalize", "settle"] as const;
/**
 * infer: run the model for a place (seat, verifier, juror) and keep the canonical output;
 * draw: drawVerifiers at the seat deadline (verifier role);
 * seed: fixSeed two blocks after the call that asked for a seed (re-anchoring a lost one);
 * commit: commit the sealed result once eligible; reveal: reveal in the reveal window;
 * finalize: finalize after the reveal deadline; settle: claim, liquidate, deliver, withdraw.
 */
export type Step = (typeof STEPS)[number];
export type { Place };

interface JobBase {
  taskId: string;
  /** Chain time (seconds) at or after which the job may run; the queue promotes it then. */
  dueAt?: string;
}

export interface InferJob extends JobBase {
  step: "infer";
  place: Place;
  /** Wall-clock ms when the node first saw TaskCreated (latency metric). */
  seenAt?: number;
  /** Wall-clock ms when the job started waiting for a seed (2 blocks after the call that fixes it). */
  seedWaitFrom?: number;
}

export interface CommitJob extends JobBase {
  step: "commit";
  place: Place;
  seenAt?: number;
  /** Milliseconds the model run took (excluded from the TaskCreated → commit latency metric). */
  inferMs?: number;
  /** Milliseconds spent waiting for the seed (the protocol's wait, not the node's: excluded too). */
  seedWaitMs?: number;
}

export interface DrawJob extends JobBase {
  step: "draw";
}
/** fixSeed(taskId, kind) once the seed asked for in block `anchor` is known (PROTOCOL.md §4.1, §8). */
export interface SeedJob extends JobBase {
  step: "seed";
  kind: SeedKind;
  /** The block of the call that asked for the seed (TaskCreated, VerifiersDrawn, TaskDisputed, SeedRequested). */
  anchor: string;
}
export interface RevealJob extends JobBase {
  step: "reveal";
}
export interface FinalizeJob extends JobBase {
  step: "finalize";
}

export type SettleJob =
  | (JobBase & { step: "settle"; action: "claim" | "deliver" | "withdraw" })
  | (JobBase & { step: "settle"; action: "liquidate"; node: Address });
export type SettleAction = SettleJob["action"];

export type JobData = InferJob | DrawJob | SeedJob | CommitJob | RevealJob | FinalizeJob | SettleJob;
/** The job data of one step. */
export type JobOf<S extends Step> = Extract<JobData, { step: S }>;

/** A job a step asks for: the queue layer enqueues it (deduplicated by its id). */
export interface NextJob {
  data: JobData;
  /** Chain time at which it may run (delayed until then). */
  dueAt?: bigint;
  /** Replaces the default id suffix (e.g. one claim per liquidation). */
  suffix?: string;
}

/**
 * The data of a stored job. Jobs queued by a version before the step union have no `step`: their
 * queue names it (the commit queue also held the draws, `commitAction: "draw"`; a missing place
 * was a seat), so a node upgraded in the middle of a task still reveals what it committed.
 */
export function storedJobData(queue: Step, data: JobData | Omit<JobData, "step">): JobData {
  if ("step" in data && typeof data.step === "string") return data;
  const legacy = data as Record<string, unknown>;
  if (queue === "commit" && legacy.commitAction === "draw") return { ...legacy, step: "draw" } as JobData;
  return { place: 1, ...legacy, step: queue } as JobData;
}

/** The default id suffix of a job: the place (infer for 2/3, commit), the seed kind and block, the settle action and node. */
export function defaultSuffix(d: JobData): string | undefined {
  switch (d.step) {
    case "infer":
      return d.place === 1 ? undefined : PLACE_NAME[d.place];
    case "commit":
      return PLACE_NAME[d.place];
    case "seed":
      return `${d.kind}-${d.anchor}`;
    case "settle":
      return d.action === "liquidate" ? `liquidate-${d.node.toLowerCase()}` : d.action;
    default:
      return undefined;
  }
}

/** The dedupe key of a job: `task-<id>-<step>[-<suffix>]` (BullMQ ids cannot contain ':'). */
export function jobIdOf(taskId: bigint | string, step: string, suffix?: string): string {
  const id = `task-${taskId.toString()}-${step}${suffix ? `-${suffix}` : ""}`;
  if (id.includes(":")) throw new Error(`job id "${id}" must not contain ':'`);
  return id;
}
