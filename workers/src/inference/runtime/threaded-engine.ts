/**
 * The inference engine in worker threads: the same `load` / `infer` / `close` as
 * {@link InferenceEngine}, but each model is loaded in every inference thread and a request
 * (decode, `session.run`, canonicalize, hash) runs on the least busy one. onnxruntime-node runs
 * `session.run` synchronously on the thread that calls it, so in-process inference blocks the
 * event loop for the whole run; here the calling thread only copies the input bytes out and the
 * result back, and its timers, chain watcher and signer keep running (`threads.test.ts`
 * measures the lag). Two threads use two cores.
 *
 * ```ts
 * const engine = new ThreadedInferenceEngine({ logger, inferenceThreads: 2 });
 * const model = await engine.load(specJson, { path, sha256 });
 * const r = await model.infer(bytes);   // InferenceResult, as InferenceEngine gives
 * await engine.close();
 * ```
 * A thread that dies (a native crash, out of memory) fails its requests in flight with
 * {@link InferenceResourceError} (no result: the node skips those tasks) and is not used again.
 */
import { Worker } from "node:worker_threads";
import type { InferenceResult, ModelSource } from "./engine.ts";
import { InferenceError, InferenceResourceError } from "../errors.ts";
import { silentLogger, type InferenceLogger } from "../logger.ts";
import { parseModelSpec, stringifyModelSpec, type ModelSpec, type ProviderName } from "../spec.ts";
import {
  fromThreadError,
  type FromThread,
  type LoadedInfo,
  type ThreadEngineOptions,
  type ToThread,
} from "./thread-protocol.ts";

export interface ThreadedEngineOptions extends ThreadEngineOptions {
  logger?: InferenceLogger;
  /** How many inference threads (default 1); each loads every model. */
  inferenceThreads?: number;
}

type Reply = Extract<FromThread, { ok: true }>;
type Request = { id: number } & (
  | { op: "load"; spec: string; source: ModelSource }
  | { op: "infer"; model: number; input: Uint8Array }
  | { op: "close" }
);
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** Starts a thread on inference-thread.ts (through tsx when running from the sources) or .js. */
function startWorker(data: ThreadEngineOptions): Worker {
  const entry = new URL(`./inference-thread${EXT}`, import.meta.url);
  if (EXT === ".js") return new Worker(entry, { workerData: data });
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: data });
}

/** One inference thread and its requests in flight. */
class InferenceThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private dead?: Error;
  private closing = false;

  constructor(data: ThreadEngineOptions, logger: InferenceLogger) {
    this.worker = startWorker(data);
    this.worker.unref();
    this.worker.on("message", (m: FromThread) => {
      if ("log" in m) return logger[m.log](m.obj, m.msg);
      const p = this.pending.get(m.id);
      if (!p) return;
      this.settled(m.id);
      if (m.ok) p.resolve(m);
      else p.reject(fromThreadError(m.error));
    });
    this.worker.on("error", (err) => this.fail(err.message));
    this.worker.on("exit", (code) => {
      if (!this.closing) this.fail(`exited with code ${code}`);
    });
  }

  /** Requests in flight (the least busy thread takes the next request). */
  get load(): number {
    return this.dead ? Infinity : this.pending.size;
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(why: string): void {
    this.dead ??= new InferenceResourceError(`inference thread ${why}`);
    for (const [id, p] of this.pending) {
      this.settled(id);
      p.reject(this.dead);
    }
  }

  call(msg: DistributiveOmit<Request, "id">): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...msg, id } as ToThread);
    });
  }

  async close(): Promise<void> {
    if (!this.dead) await this.call({ op: "close" }).catch(() => undefined);
    this.closing = true;
    await this.worker.terminate();
  }
}

/** A model loaded in every inference thread; `infer` is safe to call concurrently. */
export class ThreadedModel {
  constructor(
    readonly spec: ModelSpec,
    private readonly threads: InferenceThread[],
    private readonly loaded: LoadedInfo[],
  ) {}

  get provider(): ProviderName {
    return this.loaded[0].provider;
  }
  get sha256(): string {
    return this.loaded[0].sha256;
  }
  get path(): string {
    return this.loaded[0].path;
  }
  get batching(): boolean {
    return this.loaded[0].batching;
  }

  /** Runs one task input on the least busy thread (see LoadedModel.infer). */
  async infer(input: Uint8Array | string): Promise<InferenceResult> {
    let bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
    // A view is cloned with its whole buffer: send only its own bytes.
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
    let best = 0;
    for (let i = 1; i < this.threads.length; i++)
      if (this.threads[i].load < this.threads[best].load) best = i;
    const r = await this.threads[best].call({ op: "infer", model: this.loaded[best].model, input: bytes });
    return r.result!;
  }
}

/** {@link InferenceEngine} in `inferenceThreads` worker threads. */
export class ThreadedInferenceEngine {
  private readonly threads: InferenceThread[];
  private last?: ThreadedModel;
  private closed = false;

  constructor(opts: ThreadedEngineOptions = {}) {
    const { logger = silentLogger, inferenceThreads = 1, ...data } = opts;
    if (!Number.isSafeInteger(inferenceThreads) || inferenceThreads < 1)
      throw new InferenceError(`inferenceThreads must be ≥ 1, got ${inferenceThreads}`);
    this.threads = Array.from({ length: inferenceThreads }, () => new InferenceThread(data, logger));
  }

  /** Loads the model in every thread (see InferenceEngine.load: the same checks and errors). */
  async load(specInput: ModelSpec | string, source: ModelSource): Promise<ThreadedModel> {
    if (this.closed) throw new InferenceError("engine is closed");
    const spec = typeof specInput === "string" ? parseModelSpec(specInput) : specInput;
    const text = typeof specInput === "string" ? specInput : stringifyModelSpec(specInput);
    const replies = await Promise.all(this.threads.map((t) => t.call({ op: "load", spec: text, source })));
    this.last = new ThreadedModel(
      spec,
      this.threads,
      replies.map((r) => r.loaded!),
    );
    return this.last;
  }

  /** Runs an input on `model`, or on the model loaded last. */
  async infer(input: Uint8Array | string, model?: ThreadedModel): Promise<InferenceResult> {
    const m = model ?? this.last;
    if (!m) throw new InferenceError("no model loaded: call load() first");
    return m.infer(input);
  }

  /** Finishes what is in flight, releases every session and stops the threads. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
