/**
 * A node's output for a task: the input (inline or fetched and checked), the model run, the
 * canonical result kept in Redis (recomputed when lost), the derived salt (PROTOCOL.md §7).
 */
import { toBytes, type Hex } from "viem";
import type { Logger } from "pino";
import { performance } from "node:perf_hooks";
import { loadTaskRecord, type StepContext, type TaskRecord } from "../context.ts";
import { deriveSalt, toLocalAccount } from "../../protocol/index.ts";
import { keccak256Hex } from "../../inference/keccak.ts";
import { OmniTensorError } from "../../protocol/errors.ts";

/** The canonical output this node computed for a task (kept in Redis; recomputed if lost). */
export interface Output {
  canonical: string;
  outputHash: Hex;
}

const RESULT_TTL_S = 14 * 86_400;

/** The salt of this node for a task: derived from its key, so it survives any loss of state. */
export function salt(ctx: Pick<StepContext, "common" | "domain">, taskId: bigint): Promise<Hex> {
  return deriveSalt(toLocalAccount(ctx.common.config.privateKey), ctx.domain, taskId);
}

/** The TaskCreated record of a task (throws while the watcher has not seen it: the job retries). */
export async function record(ctx: Pick<StepContext, "redis" | "key">, taskId: bigint): Promise<TaskRecord> {
  const rec = await loadTaskRecord(ctx, taskId);
  if (!rec) throw new Error(`task ${taskId}: TaskCreated not seen yet (the watcher will rebuild it)`);
  return rec;
}

async function inputBytes(rec: TaskRecord, log: Logger): Promise<Uint8Array | undefined> {
  if (rec.input && rec.input !== "0x") return toBytes(rec.input);
  if (!rec.inputURI) return undefined;
  try {
    const res = await fetch(rec.inputURI, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    // hash-wasm's keccak (inputs run to megabytes; about 10× the pure-JavaScript one)
    if (keccak256Hex(bytes) !== rec.inputHash.toLowerCase()) {
      log.warn({ uri: rec.inputURI }, "input fetched from inputURI does not match inputHash; skipped");
      return undefined;
    }
    return bytes;
  } catch (e) {
    log.warn({ uri: rec.inputURI, err: (e as Error).message }, "cannot fetch the input; skipped");
    return undefined;
  }
}

/** Runs the model; undefined means "skip" (not served, no input, inference failure, skip band). */
async function runModel(ctx: StepContext, rec: TaskRecord, log: Logger): Promise<Output | undefined> {
  const metrics = ctx.common.metrics;
  const model = ctx.models.get(rec.modelId);
  if (!model) {
    log.info({ modelId: rec.modelId }, "model not served; skipped");
    metrics.skipped.inc({ reason: "model" });
    return undefined;
  }
  let input = await inputBytes(rec, log);
  if (!input) {
    metrics.skipped.inc({ reason: "input" });
    return undefined;
  }
  const replaced = ctx.transformInput?.(input, { taskId: BigInt(rec.taskId), modelId: rec.modelId });
  if (replaced && replaced !== input) {
    input = replaced;
    log.warn("input transform: running the model on a replaced input");
  }
  const t0 = performance.now();
  log.debug({ modelId: rec.modelId }, "model run starts");
  let r;
  try {
    r = await model.infer(input);
  } catch (e) {
    if (e instanceof OmniTensorError && e.retryable) throw e; // e.g. no answer from the fleet yet: retry the step
    log.warn({ err: (e as Error).message }, "inference failed (resource or profile); skipped");
    metrics.skipped.inc({ reason: "inference" });
    return undefined;
  }
  // omnitensor_inference_seconds is observed by the models themselves (run-memo.ts: once per run, however many keys share it)
  const ms = performance.now() - t0;
  log.debug({ ms: Math.round(ms), result: r.result }, "model run done");
  if (r.skip) {
    log.info({ margin: r.margin }, "result too close to a decision boundary (skip band); skipped");
    metrics.skipped.inc({ reason: "margin" });
    return undefined;
  }
  return { canonical: r.canonical, outputHash: r.outputHash };
}

/**
 * The node's output for a task (cached in Redis unless `useCache` is false). Undefined means
 * "skip the task". An input or output transform given at start (tests, the demo) replaces the
 * input the model runs on or the result.
 */
export async function computeOutput(
  ctx: StepContext,
  rec: TaskRecord,
  log: Logger,
  useCache = true,
): Promise<Output | undefined> {
  const key = ctx.key(`result:${rec.taskId}`);
  if (useCache) {
    const cached = await ctx.redis.get(key);
    if (cached) return JSON.parse(cached) as Output;
  }
  let out = await runModel(ctx, rec, log);
  if (!out) return undefined;
  if (ctx.transformOutput) {
    const canonical = ctx.transformOutput(out.canonical, {
      taskId: BigInt(rec.taskId),
      modelId: rec.modelId,
    });
    if (canonical !== out.canonical) {
      out = { canonical, outputHash: keccak256Hex(toBytes(canonical)) };
      log.warn("output transform: committing a replaced result");
    }
  }
  await ctx.redis.set(key, JSON.stringify(out), "EX", RESULT_TTL_S);
  return out;
}
