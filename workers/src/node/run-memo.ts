/**
 * One model run per distinct input: the models a node runs here sit behind a `RunMemo` keyed by
 * (modelId, keccak256 of the input bytes). A call with an input already running waits for that
 * run; one with an input run a little earlier gets its result (the last `max` results, for
 * `ttlMs`). A failed run is not kept: the next call runs the model again. In relay mode
 * (docs/operator.md §11) every node key of the process uses the same memo, so the keys seated in
 * one task run the model once. An input transform (tests, the demo) applies before the call, so a
 * replaced input is another key of the memo and runs on its own.
 */
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { Hex } from "viem";
import type { CanonicalResult } from "../inference/index.ts";
import { keccak256Hex } from "../inference/keccak.ts";
import type { StepModel } from "./context.ts";
import type { NodeMetrics } from "./metrics.ts";

export interface RunMemoOptions<T = CanonicalResult> {
  /** Finished results kept at most (default 256; the oldest go first). */
  max?: number;
  /** Bytes of finished results kept at most (default 64 MiB, by `sizeOf`; the oldest go first). */
  maxBytes?: number;
  /** A result's size in bytes (default: its canonical output's length). */
  sizeOf?: (result: T) => number;
  /** How long a finished result is kept (default 10 minutes). */
  ttlMs?: number;
  /** The clock (ms; default Date.now). */
  now?: () => number;
}

interface Entry<T> {
  result: Promise<T>;
  /** When the run finished (undefined while it runs). */
  doneAt?: number;
  /** The finished result's size (sizeOf). */
  bytes?: number;
}

const canonicalLength = (r: unknown) => (r as { canonical?: string })?.canonical?.length ?? 0;

/** Shares the run of one (model, input) among its callers: in flight, and briefly once done. */
export class RunMemo<T = CanonicalResult> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly maxBytes: number;
  private readonly sizeOf: (result: T) => number;

  constructor(opts: RunMemoOptions<T> = {}) {
    this.max = opts.max ?? 256;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.sizeOf = opts.sizeOf ?? canonicalLength;
    this.ttlMs = opts.ttlMs ?? 10 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Entries kept now (runs in flight and finished results). */
  get size(): number {
    return this.entries.size;
  }

  /** The result of `run()` for this input: shared with a call in flight or a recent one, else run now. */
  run(modelId: Hex, input: Uint8Array, run: () => Promise<T>): Promise<T> {
    this.prune();
    const key = `${modelId.toLowerCase()}:${keccak256Hex(input)}`;
    const hit = this.entries.get(key);
    if (hit) return hit.result;
    const entry: Entry<T> = { result: Promise.resolve().then(run) };
    this.entries.set(key, entry);
    entry.result.then(
      (r) => {
        // kept from now, the newest last (Map order: oldest first)
        this.entries.delete(key);
        entry.doneAt = this.now();
        entry.bytes = this.sizeOf(r);
        this.entries.set(key, entry);
        this.prune();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.result;
  }

  /** Drops the expired results, then the oldest ones beyond `max` or `maxBytes` (runs in flight always stay). */
  private prune(): void {
    const now = this.now();
    let done = 0;
    let bytes = 0;
    for (const e of this.entries.values())
      if (e.doneAt !== undefined) {
        done++;
        bytes += e.bytes ?? 0;
      }
    for (const [key, e] of this.entries) {
      if (e.doneAt === undefined) continue;
      if (now - e.doneAt < this.ttlMs && done <= this.max && bytes <= this.maxBytes) break;
      this.entries.delete(key);
      done--;
      bytes -= e.bytes ?? 0;
    }
  }
}

/**
 * The models behind one memo: each run that actually happens is timed into `metrics`
 * (omnitensor_inference_seconds) and logged once ("model run shared by its input"), however many
 * callers share it.
 */
export function memoizedModels(
  models: ReadonlyMap<Hex, StepModel>,
  opts: { memo: RunMemo; metrics: NodeMetrics; logger: Logger },
): Map<Hex, StepModel> {
  const out = new Map<Hex, StepModel>();
  for (const [modelId, model] of models)
    out.set(modelId, {
      infer: (input) =>
        opts.memo.run(modelId, input, async () => {
          const t0 = performance.now();
          const r = await model.infer(input);
          const ms = performance.now() - t0;
          opts.metrics.inferenceSeconds.observe({ model: modelId.slice(0, 10) }, ms / 1000);
          opts.logger.debug({ modelId, ms: Math.round(ms) }, "model run shared by its input");
          return r;
        }),
    });
  return out;
}

/** A model whose every call is timed into `metrics` (the fleet's models: the wait for the fleet's result). */
export function timedModels(models: ReadonlyMap<Hex, StepModel>, metrics: NodeMetrics): Map<Hex, StepModel> {
  const out = new Map<Hex, StepModel>();
  for (const [modelId, model] of models)
    out.set(modelId, {
      async infer(input) {
        const t0 = performance.now();
        const r = await model.infer(input);
        metrics.inferenceSeconds.observe({ model: modelId.slice(0, 10) }, (performance.now() - t0) / 1000);
        return r;
      },
    });
  return out;
}
