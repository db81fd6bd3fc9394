/**
 * Model store: fetches a registered model by URI into a cache directory and checks its sha256
 * against the registered hash (ModelRegistry keeps sha256 of the ONNX file as bytes32). A file
 * that does not match is deleted and refused ({@link ModelHashMismatchError}); a cached file is
 * re-hashed once per process before first use, so a corrupted cache is fetched again.
 *
 * URIs: `file://…`, `http://…`, `https://…`, or a plain path. Files land at `<dir>/<sha256>.onnx`.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { fileURLToPath } from "node:url";
import { ModelFetchError, ModelHashMismatchError } from "../errors.ts";
import { silentLogger, type InferenceLogger } from "../logger.ts";

export const DEFAULT_MODEL_DIR = ".omnitensor/models";
export const DEFAULT_MAX_MODEL_BYTES = 2 * 1024 ** 3;

export interface ModelStoreOptions {
  /** Cache directory (default `.omnitensor/models`, relative to the working directory). */
  dir?: string;
  /** Largest model accepted, in bytes (default 2 GiB). */
  maxBytes?: number;
  logger?: InferenceLogger;
  /** HTTP fetch timeout in ms (default 120 000). */
  timeoutMs?: number;
}

/** Normalizes a registered hash ("0x" + 64 hex, any case) to 64 lowercase hex digits. */
export function normalizeSha256(hash: string): string {
  const m = /^(0x)?([0-9a-fA-F]{64})$/.exec(hash);
  if (!m) throw new ModelFetchError("-", `sha256 "${hash}" is not 32 bytes of hex`);
  return m[2].toLowerCase();
}

/** sha256 of a file as 0x-prefixed lowercase hex. */
export async function sha256File(path: string): Promise<`0x${string}`> {
  const h = createHash("sha256");
  await pipeline(createReadStream(path), h);
  return `0x${h.digest("hex")}`;
}

export class ModelStore {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly logger: InferenceLogger;
  private readonly timeoutMs: number;
  private readonly verified = new Set<string>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(opts: ModelStoreOptions = {}) {
    this.dir = resolve(opts.dir ?? DEFAULT_MODEL_DIR);
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
    this.logger = opts.logger ?? silentLogger;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  /** Where a model with this hash lives in the cache. */
  pathFor(sha256: string): string {
    return join(this.dir, `${normalizeSha256(sha256)}.onnx`);
  }

  /**
   * Returns the local path of the model with hash `sha256`, fetching it from `uri` when the
   * cache does not hold a verified copy. Concurrent calls for one hash share one fetch.
   */
  async get(uri: string, sha256: string): Promise<string> {
    const want = normalizeSha256(sha256);
    const running = this.inflight.get(want);
    if (running) return running;
    const p = this.fetchVerified(uri, want).finally(() => this.inflight.delete(want));
    this.inflight.set(want, p);
    return p;
  }

  private async fetchVerified(uri: string, want: string): Promise<string> {
    const target = join(this.dir, `${want}.onnx`);
    if (this.verified.has(want)) return target;
    const cached = await stat(target).catch(() => null);
    if (cached) {
      const actual = (await sha256File(target)).slice(2);
      if (actual === want) {
        this.verified.add(want);
        return target;
      }
      this.logger.warn({ path: target, expected: want, actual }, "cached model is corrupt; fetching again");
      await rm(target, { force: true });
    }
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.tmp-${want.slice(0, 16)}-${randomBytes(6).toString("hex")}`);
    const hash = createHash("sha256");
    let size = 0;
    const maxBytes = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > maxBytes) return cb(new ModelFetchError(uri, `larger than ${maxBytes} bytes`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const started = Date.now();
    try {
      const source = await this.open(uri);
      await pipeline(source, meter, createWriteStream(tmp));
      const actual = hash.digest("hex");
      if (actual !== want) throw new ModelHashMismatchError(uri, `0x${want}`, `0x${actual}`);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof ModelHashMismatchError || err instanceof ModelFetchError) throw err;
      throw new ModelFetchError(uri, (err as Error).message, { cause: err });
    }
    this.verified.add(want);
    this.logger.info({ uri, sha256: `0x${want}`, bytes: size, ms: Date.now() - started }, "model fetched");
    return target;
  }

  private async open(uri: string): Promise<Readable> {
    if (/^https?:\/\//i.test(uri)) {
      const ctrl = AbortSignal.timeout(this.timeoutMs);
      const res = await fetch(uri, { signal: ctrl });
      if (!res.ok || !res.body) throw new ModelFetchError(uri, `HTTP ${res.status}`);
      const len = Number(res.headers.get("content-length") ?? "0");
      if (len > this.maxBytes) throw new ModelFetchError(uri, `larger than ${this.maxBytes} bytes`);
      return Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
    }
    let path: string;
    if (/^file:\/\//i.test(uri)) path = fileURLToPath(uri);
    else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new ModelFetchError(uri, "unsupported URI scheme");
    else path = uri;
    const st = await stat(path).catch(() => null);
    if (!st || !st.isFile()) throw new ModelFetchError(uri, "no such file");
    return createReadStream(path);
  }
}
