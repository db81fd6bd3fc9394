/**
 * The inference engine: loads a model under the spec's pinned profile, decodes task inputs,
 * runs them (coalescing concurrent requests into one batch where the spec allows it), and
 * returns the canonical result of PROTOCOL.md §7 with its hash and margin.
 *
 * ```ts
 * const engine = new InferenceEngine({ logger, threads: 1 });
 * const model = await engine.load(specJson, { uri, sha256 });   // or a local path
 * const r = await model.infer(inputBytes);   // { result, outputHash, canonical, margin, skip, provider, ms }
 * await engine.close();
 * ```
 * What is thrown means "no result" (skip the task): a profile this node cannot run, a model that
 * cannot be fetched or loaded, a resource failure, or a spec that does not fit the model.
 */
import { performance } from "node:perf_hooks";
import { canonicalize, invalidInputResult, type CanonicalResult, type RawOutput } from "../canonical.ts";
import { decodeInput, type DecodedTensor } from "../codec.ts";
import { concatData, generateFromBytes, type RunResult } from "./generator.ts";
import { checkSpecAgainstModel } from "./check.ts";
import { keccakReady } from "../keccak.ts";
import { InferenceError, InferenceResourceError, ModelHashMismatchError, ModelSpecError } from "../errors.ts";
import { silentLogger, type InferenceLogger } from "../logger.ts";
import {
  createSession,
  detectProviders,
  isResourceFailure,
  makeTensor,
  profileKey,
  resolveProfile,
  sessionIo,
  type ExecutionProfile,
  type OrtSession,
  type OrtTensor,
} from "./session.ts";
import {
  batchDimName,
  parseModelSpec,
  stringifyModelSpec,
  type ModelSpec,
  type OutputType,
  type ProviderName,
} from "../spec.ts";
import { ModelStore, normalizeSha256, sha256File } from "./store.ts";

export interface InferenceResult extends CanonicalResult {
  provider: ProviderName;
  /** Wall time of this request in ms: decode, wait for a batch, run, canonicalize, hash. */
  ms: number;
  /** How many requests shared the run (1 when not batched). */
  batchSize: number;
}

/** A local file (path), optionally with the hash it must have, or a registered URI with its hash. */
export type ModelSource = string | { path: string; sha256?: string } | { uri: string; sha256: string };

export interface EngineOptions {
  logger?: InferenceLogger;
  /** onnxruntime intra-op threads per session (default 1). */
  threads?: number;
  /** Use CUDA where the spec allows it and the runtime has it (default true). */
  allowGpu?: boolean;
  cudaDeviceId?: number;
  /** Where models given by URI are fetched to (default: a ModelStore on `.omnitensor/models`). */
  store?: ModelStore;
  /** How long a request waits for others to join its batch, in ms (default 2). 0 disables batching. */
  batchWindowMs?: number;
  /** Upper bound on the batch size, on top of the spec's execution.maxBatch (default 32). */
  maxBatch?: number;
  /** A generation's time budget in ms (default 300000); past it the node skips the task. */
  maxGenerateMs?: number;
}

interface Pending {
  tensors: DecodedTensor[];
  rows: number;
  start: number;
  resolve: (r: InferenceResult) => void;
  reject: (e: unknown) => void;
}

function toRaw(name: string, t: OrtTensor): RawOutput {
  return { name, type: t.type as OutputType, dims: t.dims, data: t.data as RawOutput["data"] };
}

/** A model loaded under one profile; `infer` is safe to call concurrently. */
export class LoadedModel {
  private readonly queues = new Map<string, { items: Pending[]; rows: number; timer?: NodeJS.Timeout }>();
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;
  private readonly batchDim: string | null;
  private readonly maxBatch: number;
  private readonly outputNames: string[];

  constructor(
    readonly spec: ModelSpec,
    readonly sha256: string,
    readonly path: string,
    readonly profile: ExecutionProfile,
    readonly session: OrtSession,
    private readonly logger: InferenceLogger,
    private readonly windowMs: number,
    maxBatch: number,
    private readonly maxGenerateMs = 300_000,
  ) {
    this.batchDim = windowMs > 0 ? batchDimName(spec) : null;
    this.maxBatch = Math.min(spec.execution.maxBatch, maxBatch);
    this.outputNames = spec.outputs.map((o) => o.name);
  }

  get provider(): ProviderName {
    return this.profile.provider;
  }

  /** Whether concurrent requests may be coalesced into one run. */
  get batching(): boolean {
    return this.batchDim !== null && this.maxBatch > 1;
  }

  /**
   * Runs one task input (the UTF-8 JSON bytes, or its text) and returns the canonical result.
   * An input the model cannot take resolves to result "INVALID_INPUT" (with `reason` for logs).
   */
  async infer(input: Uint8Array | string): Promise<InferenceResult> {
    if (this.closed) throw new InferenceError("model is closed");
    const start = performance.now();
    const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
    if (this.spec.generate) return this.generate(bytes, start);
    const decoded = decodeInput(bytes, this.spec);
    if (!decoded.ok) {
      this.logger.debug({ model: this.sha256, reason: decoded.reason }, "invalid input");
      return this.finish(invalidInputResult(decoded.reason), start, 1);
    }
    if (!this.batching) return this.runSingle(decoded.tensors, start);
    const rows = decoded.tensors[0].dims[0];
    if (rows >= this.maxBatch) return this.runSingle(decoded.tensors, start);
    // Only inputs whose other dims agree can share a run.
    const key = decoded.tensors.map((t) => t.dims.slice(1).join("x")).join("|");
    return new Promise<InferenceResult>((resolve, reject) => {
      let q = this.queues.get(key);
      if (q && q.rows + rows > this.maxBatch) {
        this.flush(key);
        q = undefined;
      }
      if (!q) {
        q = { items: [], rows: 0 };
        this.queues.set(key, q);
      }
      q.items.push({ tensors: decoded.tensors, rows, start, resolve, reject });
      q.rows += rows;
      if (q.rows >= this.maxBatch) this.flush(key);
      else q.timer ??= setTimeout(() => this.flush(key), this.windowMs);
    });
  }

  private finish(r: CanonicalResult, start: number, batchSize: number): InferenceResult {
    return { ...r, provider: this.profile.provider, ms: performance.now() - start, batchSize };
  }

  private feeds(tensors: DecodedTensor[]): Record<string, OrtTensor> {
    const feeds: Record<string, OrtTensor> = {};
    for (const t of tensors) feeds[t.name] = makeTensor(t.type, t.data, t.dims);
    return feeds;
  }

  /** Runs the session; a resource failure throws, any other failure is the input's (null + reason). */
  private async run(feeds: Record<string, OrtTensor>, outputNames = this.outputNames): Promise<RunResult> {
    if (this.closed) throw new InferenceError("model is closed");
    const p = this.session.run(feeds, outputNames);
    this.running.add(p);
    try {
      return { ok: true, out: await p };
    } catch (err) {
      if (isResourceFailure(err))
        throw new InferenceResourceError(`run failed for lack of resources: ${(err as Error).message}`, {
          cause: err,
        });
      return { ok: false, reason: `the model rejected the input: ${(err as Error).message.split("\n")[0]}` };
    } finally {
      this.running.delete(p);
    }
  }

  /** A generative model (§7): the task input's rules, then the step loop of generator.ts. */
  private async generate(bytes: Uint8Array, start: number): Promise<InferenceResult> {
    const run = (f: Record<string, OrtTensor>, names: string[]) => this.run(f, names);
    const r = await generateFromBytes(this.spec, bytes, sessionIo(this.session), run, this.maxGenerateMs);
    if (r.reason) this.logger.debug({ model: this.sha256, reason: r.reason }, `generation ${r.result}`);
    return this.finish(r, start, 1);
  }

  private canonical(raw: RawOutput[]): CanonicalResult {
    return canonicalize(raw, this.spec.outputs, this.spec.execution.margin);
  }

  private async runSingle(tensors: DecodedTensor[], start: number): Promise<InferenceResult> {
    const r = await this.run(this.feeds(tensors));
    if (!r.ok) {
      this.logger.debug({ model: this.sha256, reason: r.reason }, "invalid input");
      return this.finish(invalidInputResult(r.reason), start, 1);
    }
    return this.finish(this.canonical(this.outputNames.map((n) => toRaw(n, r.out[n]))), start, 1);
  }

  private flush(key: string): void {
    const q = this.queues.get(key);
    if (!q) return;
    this.queues.delete(key);
    if (q.timer) clearTimeout(q.timer);
    const p = this.runBatch(q.items);
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private async runBatch(items: Pending[]): Promise<void> {
    if (items.length === 1) {
      const it = items[0];
      await this.runSingle(it.tensors, it.start).then(it.resolve, it.reject);
      return;
    }
    try {
      const total = items.reduce((n, it) => n + it.rows, 0);
      const merged = items[0].tensors.map((t, i) => ({
        ...t,
        dims: [total, ...t.dims.slice(1)],
        data: concatData(items.map((it) => it.tensors[i].data)),
      }));
      const r = await this.run(this.feeds(merged));
      const fits = r.ok && this.outputNames.every((n) => r.out[n].dims[0] === total);
      if (!r.ok || !fits) {
        // One input may be at fault, or the outputs do not follow the batch: run each alone.
        this.logger.debug({ model: this.sha256, requests: items.length }, "batch fell back to single runs");
        for (const it of items) await this.runSingle(it.tensors, it.start).then(it.resolve, it.reject);
        return;
      }
      let row = 0;
      for (const it of items) {
        const raw = this.outputNames.map((n) => {
          const t = r.out[n];
          const per = t.data.length / total;
          const data = (t.data as unknown as { subarray(a: number, b: number): RawOutput["data"] }).subarray(
            row * per,
            (row + it.rows) * per,
          );
          return { name: n, type: t.type as OutputType, dims: [it.rows, ...t.dims.slice(1)], data };
        });
        row += it.rows;
        try {
          it.resolve(this.finish(this.canonical(raw), it.start, items.length));
        } catch (err) {
          it.reject(err);
        }
      }
    } catch (err) {
      for (const it of items) it.reject(err);
    }
  }

  /** Runs what is queued, waits for the runs in flight, then releases the session. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const key of [...this.queues.keys()]) this.flush(key);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    this.closed = true;
    await this.session.release();
  }
}

/** Loads models under their specs' profiles and caches one session per (model sha256, profile). */
export class InferenceEngine {
  private readonly logger: InferenceLogger;
  private readonly threads: number;
  private readonly opts: EngineOptions;
  private readonly sessions = new Map<string, Promise<LoadedModel>>();
  private store?: ModelStore;
  private last?: LoadedModel;
  private providers?: Promise<Set<ProviderName>>;
  private closed = false;

  constructor(opts: EngineOptions = {}) {
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
    this.threads = opts.threads ?? 1;
    this.store = opts.store;
  }

  /**
   * The providers this node can use for a spec that allows `wanted` (cpu, and cuda when it is
   * wanted and loads: the CUDA probe runs only for specs that list it).
   */
  async availableProviders(wanted: readonly ProviderName[] = ["cuda", "cpu"]): Promise<Set<ProviderName>> {
    if (!wanted.includes("cuda") || this.opts.allowGpu === false) return new Set(["cpu"]);
    this.providers ??= detectProviders({
      allowGpu: this.opts.allowGpu,
      cudaDeviceId: this.opts.cudaDeviceId,
      logger: this.logger,
    });
    return this.providers;
  }

  /**
   * Loads a model for a spec (its JSON text or a parsed spec). A source with a sha256 is
   * verified (a URI through the model store, a path by hashing it). The spec must fit the model
   * (the checks of `model check`). Throws ModelSpecError,
   * ProfileUnsupportedError, ModelFetchError, ModelHashMismatchError or ModelLoadError.
   */
  async load(specInput: ModelSpec | string, source: ModelSource): Promise<LoadedModel> {
    if (this.closed) throw new InferenceError("engine is closed");
    await keccakReady; // the WASM keccak from the first result on (the fallback gives the same hash)
    const spec = typeof specInput === "string" ? parseModelSpec(specInput) : specInput;
    const profile = resolveProfile(
      spec.execution,
      await this.availableProviders(spec.execution.providers),
      this.threads,
    );
    const { path, sha256 } = await this.resolveSource(source);
    const key = `${sha256}|${profileKey(profile)}|${stringifyModelSpec(spec)}`;
    let p = this.sessions.get(key);
    if (!p) {
      p = (async () => {
        const t0 = performance.now();
        const session = await createSession(path, profile, this.opts.cudaDeviceId);
        const problems = checkSpecAgainstModel(spec, sessionIo(session));
        if (problems.length > 0) {
          await session.release();
          throw new ModelSpecError(problems);
        }
        this.logger.info(
          {
            model: sha256,
            provider: profile.provider,
            graphOptimizationLevel: profile.graphOptimizationLevel,
            threads: profile.intraOpNumThreads,
            batching: spec.execution.maxBatch > 1,
            ms: Math.round(performance.now() - t0),
          },
          `model loaded on ${profile.provider}`,
        );
        return new LoadedModel(
          spec,
          sha256,
          path,
          profile,
          session,
          this.logger,
          this.opts.batchWindowMs ?? 2,
          this.opts.maxBatch ?? 32,
          this.opts.maxGenerateMs,
        );
      })();
      this.sessions.set(key, p);
      p.catch(() => this.sessions.delete(key));
    }
    this.last = await p;
    return this.last;
  }

  private async resolveSource(source: ModelSource): Promise<{ path: string; sha256: string }> {
    if (typeof source === "string") return { path: source, sha256: await sha256File(source) };
    if ("uri" in source) {
      this.store ??= new ModelStore({ logger: this.logger });
      const path = await this.store.get(source.uri, source.sha256);
      return { path, sha256: `0x${normalizeSha256(source.sha256)}` };
    }
    const actual = await sha256File(source.path);
    if (source.sha256 !== undefined) {
      const want = `0x${normalizeSha256(source.sha256)}`;
      if (want !== actual) throw new ModelHashMismatchError(source.path, want, actual);
    }
    return { path: source.path, sha256: actual };
  }

  /** Runs an input on `model`, or on the model loaded last. */
  async infer(input: Uint8Array | string, model?: LoadedModel): Promise<InferenceResult> {
    const m = model ?? this.last;
    if (!m) throw new InferenceError("no model loaded: call load() first");
    return m.infer(input);
  }

  /** Releases every session. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const p of all) {
      const m = await p.catch(() => null);
      if (m) await m.close();
    }
  }
}
