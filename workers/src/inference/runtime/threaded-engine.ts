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
 * {@link InferenceResourceError} (no result: the node skips those tasks); the engine replaces it
 * with a new thread that loads every model again (after 1 s, doubling per restart, at most
 * `threadRestarts` times in 10 minutes). Requests go to the live threads meanwhile, and wait for
 * the new one when none is live. When a thread cannot be replaced and none is left, `lost`
 * resolves (an inference process then exits so that its supervisor starts it again) and
 * `health()` says so.
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
  /** How many times dead threads are replaced within 10 minutes (default 5; 0: never). */
  threadRestarts?: number;
  /** The wait before the first replacement (ms, default 1000); it doubles with each recent restart. */
  threadRestartDelayMs?: number;
}

/** What the engine's threads are doing (for /health). */
export interface EngineHealth {
  threads: number;
  /** Threads that take requests now. */
  live: number;
  /** Threads replaced since the engine started. */
  restarts: number;
  /** Set when no thread is live and none can be replaced. */
  unusable?: string;
}

const RESTART_WINDOW_MS = 10 * 60_000;

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

  constructor(
    data: ThreadEngineOptions,
    logger: InferenceLogger,
    private readonly onDead: (t: InferenceThread, err: Error) => void = () => undefined,
  ) {
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

  get live(): boolean {
    return !this.dead;
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(why: string): void {
    const first = !this.dead;
    this.dead ??= new InferenceResourceError(`inference thread ${why}`);
    for (const [id, p] of this.pending) {
      this.settled(id);
      p.reject(this.dead);
    }
    if (first && !this.closing) this.onDead(this, this.dead);
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

  /** Stops the thread at once (a load that failed on a new thread). */
  async discard(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}

/** A model loaded in every inference thread; `infer` is safe to call concurrently. */
export class ThreadedModel {
  constructor(
    readonly spec: ModelSpec,
    /** The engine's threads (a replaced thread takes its slot). */
    private readonly threads: InferenceThread[],
    /** The model's handle in each slot (none in a slot that was dead when it loaded). */
    private readonly loaded: (LoadedInfo | undefined)[],
    private readonly whenLive: () => Promise<void>,
  ) {}

  private get info(): LoadedInfo {
    return this.loaded.find((l) => l !== undefined)!;
  }
  get provider(): ProviderName {
    return this.info.provider;
  }
  get sha256(): string {
    return this.info.sha256;
  }
  get path(): string {
    return this.info.path;
  }
  get batching(): boolean {
    return this.info.batching;
  }

  /** The model's handle in the thread that took slot `i`. */
  replaced(i: number, info: LoadedInfo): void {
    this.loaded[i] = info;
  }

  private pick(): number {
    let best = -1;
    for (let i = 0; i < this.threads.length; i++) {
      if (this.loaded[i] === undefined || !this.threads[i].live) continue;
      if (best < 0 || this.threads[i].load < this.threads[best].load) best = i;
    }
    return best;
  }

  /** Runs one task input on the least busy live thread (see LoadedModel.infer). */
  async infer(input: Uint8Array | string): Promise<InferenceResult> {
    let bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
    // A view is cloned with its whole buffer: send only its own bytes.
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
    let best = this.pick();
    if (best < 0) {
      await this.whenLive();
      best = this.pick();
      if (best < 0) throw new InferenceResourceError("no inference thread serves this model");
    }
    const r = await this.threads[best].call({ op: "infer", model: this.loaded[best]!.model, input: bytes });
    return r.result!;
  }
}

/** {@link InferenceEngine} in `inferenceThreads` worker threads. */
export class ThreadedInferenceEngine {
  private readonly threads: InferenceThread[];
  private readonly logger: InferenceLogger;
  private readonly data: ThreadEngineOptions;
  private readonly restart: { max: number; delayMs: number; times: number[]; total: number };
  private lose!: (err: InferenceResourceError) => void;
  /** Resolves, with the reason, once no thread is live and none can be replaced (restarts spent). */
  readonly lost = new Promise<InferenceResourceError>((resolve) => (this.lose = resolve));
  /** Every successful load, replayed in order on a replacement thread. */
  private readonly loads: { spec: string; source: ModelSource; model: ThreadedModel }[] = [];
  private readonly waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Loads and replacements run one at a time (a load sees a fixed set of threads). */
  private exclusive: Promise<unknown> = Promise.resolve();
  private unusable?: Error;
  private last?: ThreadedModel;
  private closed = false;

  constructor(opts: ThreadedEngineOptions = {}) {
    const {
      logger = silentLogger,
      inferenceThreads = 1,
      threadRestarts = 5,
      threadRestartDelayMs = 1000,
      ...data
    } = opts;
    if (!Number.isSafeInteger(inferenceThreads) || inferenceThreads < 1)
      throw new InferenceError(`inferenceThreads must be ≥ 1, got ${inferenceThreads}`);
    if (!Number.isSafeInteger(threadRestarts) || threadRestarts < 0)
      throw new InferenceError(`threadRestarts must be ≥ 0, got ${threadRestarts}`);
    this.logger = logger;
    this.data = data;
    this.restart = { max: threadRestarts, delayMs: threadRestartDelayMs, times: [], total: 0 };
    this.threads = Array.from({ length: inferenceThreads }, () => this.newThread());
  }

  private newThread(): InferenceThread {
    return new InferenceThread(this.data, this.logger, (t, err) => this.died(t, err));
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(fn, fn);
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  /** Loads the model in every live thread (see InferenceEngine.load: the same checks and errors). */
  async load(specInput: ModelSpec | string, source: ModelSource): Promise<ThreadedModel> {
    if (this.closed) throw new InferenceError("engine is closed");
    const spec = typeof specInput === "string" ? parseModelSpec(specInput) : specInput;
    const text = typeof specInput === "string" ? specInput : stringifyModelSpec(specInput);
    await this.whenLive();
    const model = await this.serially(async () => {
      const replies = await Promise.all(
        this.threads.map((t) => (t.live ? t.call({ op: "load", spec: text, source }) : undefined)),
      );
      if (replies.every((r) => r === undefined))
        throw this.unusable ?? new InferenceResourceError("no inference thread is live");
      const m = new ThreadedModel(
        spec,
        this.threads,
        replies.map((r) => r?.loaded),
        () => this.whenLive(),
      );
      this.loads.push({ spec: text, source, model: m });
      return m;
    });
    this.last = model;
    return model;
  }

  /** Runs an input on `model`, or on the model loaded last. */
  async infer(input: Uint8Array | string, model?: ThreadedModel): Promise<InferenceResult> {
    const m = model ?? this.last;
    if (!m) throw new InferenceError("no model loaded: call load() first");
    return m.infer(input);
  }

  /** The threads: how many, how many live, how many were replaced, and whether the engine is spent. */
  health(): EngineHealth {
    const out: EngineHealth = {
      threads: this.threads.length,
      live: this.threads.filter((t) => t.live).length,
      restarts: this.restart.total,
    };
    if (this.unusable) out.unusable = this.unusable.message;
    return out;
  }

  /** Resolves when a thread is live; rejects once none is and none can be replaced. */
  private whenLive(): Promise<void> {
    if (this.threads.some((t) => t.live)) return Promise.resolve();
    if (this.unusable) return Promise.reject(this.unusable);
    if (this.closed) return Promise.reject(new InferenceError("engine is closed"));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private died(t: InferenceThread, err: Error): void {
    const i = this.threads.indexOf(t);
    if (this.closed || i < 0) return; // a replacement that died while loading: replace() retries
    this.logger.error({ thread: i, err: err.message }, "inference thread died");
    void this.replace(i, err);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  /** Replaces the dead thread of slot `i`: waits, starts a thread, loads every model again. */
  private async replace(i: number, cause: Error): Promise<void> {
    const r = this.restart;
    for (;;) {
      const now = Date.now();
      while (r.times.length > 0 && now - r.times[0] > RESTART_WINDOW_MS) r.times.shift();
      if (r.times.length >= r.max) return this.giveUp(i, cause);
      const delay = Math.min(30_000, r.delayMs * 2 ** r.times.length);
      r.times.push(now);
      await this.sleep(delay);
      if (this.closed) return;
      const failed = await this.serially(() => this.swapIn(i));
      if (!failed) return;
      cause = failed;
      this.logger.warn({ thread: i, err: failed.message }, "replacement inference thread failed to load");
    }
  }

  /** Starts a thread, loads every model there and puts it in slot `i`; the error if that failed. */
  private async swapIn(i: number): Promise<Error | undefined> {
    if (this.closed) return undefined;
    const t = this.newThread();
    const infos: LoadedInfo[] = [];
    try {
      for (const l of this.loads)
        infos.push((await t.call({ op: "load", spec: l.spec, source: l.source })).loaded!);
    } catch (e) {
      await t.discard();
      return e as Error;
    }
    if (this.closed) {
      await t.discard();
      return undefined;
    }
    this.threads[i] = t;
    this.loads.forEach((l, k) => l.model.replaced(i, infos[k]));
    this.restart.total++;
    this.logger.info(
      { thread: i, models: infos.length, restarts: this.restart.total },
      "inference thread replaced",
    );
    for (const w of this.waiters.splice(0)) w.resolve();
    return undefined;
  }

  private giveUp(i: number, cause: Error): void {
    this.logger.error(
      { thread: i, restarts: this.restart.max, err: cause.message },
      "inference thread not replaced: its restarts are spent",
    );
    if (this.threads.some((t) => t.live) || this.unusable) return;
    this.unusable = new InferenceResourceError(
      `no inference thread is live and none can be replaced (${this.restart.max} restarts in 10 minutes; last: ${cause.message})`,
    );
    for (const w of this.waiters.splice(0)) w.reject(this.unusable);
    this.lose(this.unusable);
  }

  /** Finishes what is in flight, releases every session and stops the threads. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new InferenceError("engine is closed");
    for (const w of this.waiters.splice(0)) w.reject(closed);
    await this.exclusive;
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
