/**
 * Execution profile and onnxruntime sessions. The spec pins the profile (runtime, version
 * range, graph optimization level, allowed providers) because floats change with them
 * (PROTOCOL.md §7); a node that cannot honour it skips the task ({@link ProfileUnsupportedError}).
 */
import ort from "onnxruntime-node";
import { ModelLoadError, ProfileUnsupportedError } from "../errors.ts";
import type { InferenceLogger } from "../logger.ts";
import { buildOnnxModel } from "./onnx-writer.ts";
import type { ExecutionSpec, GraphOptimizationLevel, ProviderName } from "../spec.ts";

// onnxruntime's own logger writes to stderr; its errors reach us as exceptions, which the engine
// logs through the injected logger. Quiet it unless asked (OMNITENSOR_ORT_LOG_LEVEL=warning…).
ort.env.logLevel = (process.env.OMNITENSOR_ORT_LOG_LEVEL as typeof ort.env.logLevel) ?? "fatal";

export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;

/** The installed onnxruntime-node version, e.g. "1.30.0". */
export function runtimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/**
 * Whether the spec's `version` ("1", "1.x", "1.30", "1.30.x", "1.30.0") admits `installed`:
 * every numeric component given must match, "x" matches anything.
 */
export function versionCompatible(wanted: string, installed: string): boolean {
  const w = wanted.split(".");
  const have = installed.split(/[.-]/);
  return w.every((part, i) => part === "x" || part === have[i]);
}

/** What a session runs with: all of it is part of the cache key. */
export interface ExecutionProfile {
  graphOptimizationLevel: GraphOptimizationLevel;
  provider: ProviderName;
  intraOpNumThreads: number;
}

export function profileKey(p: ExecutionProfile): string {
  return `${p.provider}/${p.graphOptimizationLevel}/t${p.intraOpNumThreads}`;
}

/** The first provider in the spec's order that this node has; null when none. Pure. */
export function chooseProvider(
  allowed: readonly ProviderName[],
  available: ReadonlySet<ProviderName>,
): ProviderName | null {
  return allowed.find((p) => available.has(p)) ?? null;
}

export interface ProviderDetection {
  /** Try CUDA at all (default true). */
  allowGpu?: boolean;
  cudaDeviceId?: number;
  logger?: InferenceLogger;
}

let cudaProbe: Promise<boolean> | undefined;

/** CUDA runs with TF32 off (PROTOCOL.md §7): cuBLAS and cuDNN read this before they start. */
function disableTf32(): void {
  process.env.NVIDIA_TF32_OVERRIDE = "0";
}

/**
 * Probes whether the CUDA execution provider loads (onnxruntime-node installed with
 * `--onnxruntime-node-install=cuda12` on a machine with a GPU): creates a one-node session on
 * it. The answer is cached for the process.
 */
export function probeCuda(deviceId = 0, logger?: InferenceLogger): Promise<boolean> {
  cudaProbe ??= (async () => {
    const listed = ort.listSupportedBackends?.().some((b) => b.name === "cuda") ?? true;
    if (!listed) return false;
    disableTf32();
    const model = buildOnnxModel({
      name: "probe",
      nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
      inputs: [{ name: "x", type: "float32", dims: [1] }],
      outputs: [{ name: "y", type: "float32", dims: [1] }],
    });
    try {
      const s = await ort.InferenceSession.create(model, {
        executionProviders: [{ name: "cuda", deviceId }],
        logSeverityLevel: 4,
      });
      await s.release();
      return true;
    } catch (err) {
      logger?.info(
        { reason: (err as Error).message.split("\n")[0] },
        "CUDA execution provider not available",
      );
      return false;
    }
  })();
  return cudaProbe;
}

/** The providers this node can run: always cpu, cuda when allowed and it loads. */
export async function detectProviders(opts: ProviderDetection = {}): Promise<Set<ProviderName>> {
  const set = new Set<ProviderName>(["cpu"]);
  if (opts.allowGpu !== false && (await probeCuda(opts.cudaDeviceId ?? 0, opts.logger))) set.add("cuda");
  return set;
}

/**
 * Resolves the profile for a spec on this node, or throws {@link ProfileUnsupportedError} naming
 * what does not fit (the node should skip the task).
 */
export function resolveProfile(
  execution: ExecutionSpec,
  available: ReadonlySet<ProviderName>,
  threads: number,
  installed = runtimeVersion(),
): ExecutionProfile {
  if (execution.runtime !== "onnxruntime")
    throw new ProfileUnsupportedError(`execution.runtime "${execution.runtime}" is not supported`);
  if (!versionCompatible(execution.version, installed))
    throw new ProfileUnsupportedError(
      `execution.version "${execution.version}" does not admit the installed onnxruntime-node ${installed}`,
    );
  const provider = chooseProvider(execution.providers, available);
  if (!provider)
    throw new ProfileUnsupportedError(
      `execution.providers [${execution.providers.join(", ")}]: none available here (have ${[...available].join(", ")})`,
    );
  if (!Number.isSafeInteger(threads) || threads < 1)
    throw new ProfileUnsupportedError(`threads must be ≥ 1, got ${threads}`);
  return { graphOptimizationLevel: execution.graphOptimizationLevel, provider, intraOpNumThreads: threads };
}

/** The onnxruntime session options of a profile (sequential execution, one inter-op thread). */
export function sessionOptions(p: ExecutionProfile, cudaDeviceId = 0): ort.InferenceSession.SessionOptions {
  if (p.provider === "cuda") disableTf32();
  return {
    executionProviders: [p.provider === "cuda" ? { name: "cuda", deviceId: cudaDeviceId } : "cpu"],
    graphOptimizationLevel: p.graphOptimizationLevel,
    intraOpNumThreads: p.intraOpNumThreads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    logSeverityLevel: 4,
  };
}

/** Creates a session for a model file (path) or bytes; wraps load failures in {@link ModelLoadError}. */
export async function createSession(
  model: string | Uint8Array,
  profile: ExecutionProfile,
  cudaDeviceId = 0,
): Promise<OrtSession> {
  try {
    return typeof model === "string"
      ? await ort.InferenceSession.create(model, sessionOptions(profile, cudaDeviceId))
      : await ort.InferenceSession.create(model, sessionOptions(profile, cudaDeviceId));
  } catch (err) {
    throw new ModelLoadError(
      `cannot load model${typeof model === "string" ? ` ${model}` : ""}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** Model input/output metadata as the runtime sees it (names, types, dims; symbolic dims as strings). */
export interface ModelIo {
  inputs: { name: string; type: string; dims: (number | string)[] }[];
  outputs: { name: string; type: string; dims: (number | string)[] }[];
}

/** Reads a session's input and output metadata. */
export function sessionIo(session: OrtSession): ModelIo {
  const conv = (m: readonly ort.InferenceSession.ValueMetadata[]) =>
    m.map((v) =>
      v.isTensor
        ? {
            name: v.name,
            type: v.type as string,
            dims: v.shape.map((d) => (typeof d === "number" && d < 0 ? "?" : d)),
          }
        : { name: v.name, type: "non-tensor", dims: [] },
    );
  return { inputs: conv(session.inputMetadata), outputs: conv(session.outputMetadata) };
}

/** A tensor for the runtime from decoded input data. */
export function makeTensor(type: string, data: ArrayBufferView, dims: readonly number[]): OrtTensor {
  return new ort.Tensor(type as "float32", data as Float32Array, dims);
}

/**
 * Whether a run error is a resource failure (memory, device) rather than the input: those are
 * not results, the node skips. Everything else a run throws is taken as the input's fault.
 */
export function isResourceFailure(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /bad_alloc|out of memory|failed to allocate|allocation fail|cuda(?!.*shape)|cudnn|cublas|device lost|ENOMEM/i.test(
    msg,
  );
}
