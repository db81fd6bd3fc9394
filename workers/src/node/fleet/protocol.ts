/**
 * What a submitter and its inference processes agree on in Redis (docs/operator.md, "Running a
 * fleet"): the key of a published model, the queue of a model's runs, the job data and the
 * result. Redis is the only part they share; nothing here reads the chain or holds a key.
 *
 * - `<prefix>:fleet:model:<modelId>`: `{spec, onnxSha256}` as ModelRegistry holds them, written
 *   by the submitter (at start and every 30 s), read by an inference process before it loads
 *   its file with that hash.
 * - BullMQ queue `run-<modelId without 0x>` under the BullMQ prefix `<prefix>-fleet`: one job per
 *   distinct input (job id: the input's keccak256), data `{input: base64}`; its return value is
 *   the canonical result. One queue per model, so a process consumes only what it has files for.
 */
import type { Hex } from "viem";
import type { CanonicalResult } from "../../inference/index.ts";

/** The BullMQ prefix of the fleet's run queues (one per Redis prefix, shared by every key using it). */
export function fleetQueuePrefix(redisPrefix: string): string {
  return `${redisPrefix}-fleet`;
}

/** The run queue of a model (BullMQ names cannot contain ':'). */
export function runQueueName(modelId: Hex): string {
  return `run-${modelId.toLowerCase().slice(2)}`;
}

/** The Redis key where the submitter publishes a model's spec and hash. */
export function modelKey(redisPrefix: string, modelId: Hex): string {
  return `${redisPrefix}:fleet:model:${modelId.toLowerCase()}`;
}

/** A published model: the ModelRegistry entry an inference process loads its file against. */
export interface PublishedModel {
  spec: string;
  onnxSha256: Hex;
}

/** A run job's data: the task input (checked against the task's inputHash by the submitter). */
export interface RunJob {
  /** The input bytes, base64. */
  input: string;
}

/** What a run job returns: the canonical result, or why the process has none (a resource failure). */
export type RunResult =
  (Omit<CanonicalResult, "margin"> & { margin: number | null; error?: undefined }) | { error: string };

/** The result as stored by BullMQ (JSON: an infinite margin is written null). */
export function encodeResult(r: CanonicalResult): RunResult {
  const { result, canonical, outputHash, margin, skip, reason } = r;
  return {
    result,
    canonical,
    outputHash,
    skip,
    margin: Number.isFinite(margin) ? margin : null,
    ...(reason ? { reason } : {}),
  };
}

/** The canonical result back from a run job (null margin → Infinity). */
export function decodeResult(r: Exclude<RunResult, { error: string }>): CanonicalResult {
  const { margin, error: _e, ...rest } = r;
  return { ...rest, margin: margin === null ? Number.POSITIVE_INFINITY : margin };
}
