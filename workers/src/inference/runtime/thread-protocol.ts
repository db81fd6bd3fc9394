/**
 * Messages between {@link ThreadedInferenceEngine} and its inference threads
 * (`inference-thread.ts`), and the errors that cross them.
 */
import {
  InferenceError,
  InferenceResourceError,
  ModelFetchError,
  ModelHashMismatchError,
  ModelLoadError,
  ModelSpecError,
  ProfileUnsupportedError,
} from "../errors.ts";
import type { EngineOptions, InferenceResult, ModelSource } from "./engine.ts";
import type { ProviderName } from "../spec.ts";

/** Engine options that can cross a thread (no logger, no store object). */
export type ThreadEngineOptions = Omit<EngineOptions, "logger" | "store"> & { storeDir?: string };

export type ToThread =
  | { id: number; op: "load"; spec: string; source: ModelSource }
  | { id: number; op: "infer"; model: number; input: Uint8Array }
  | { id: number; op: "close" };

export interface LoadedInfo {
  model: number;
  provider: ProviderName;
  sha256: string;
  path: string;
  batching: boolean;
}

export interface ThreadError {
  name: string;
  message: string;
  problems?: readonly string[];
  uri?: string;
  expected?: string;
  actual?: string;
}

export type FromThread =
  | { id: number; ok: true; loaded?: LoadedInfo; result?: InferenceResult }
  | { id: number; ok: false; error: ThreadError }
  | { log: "debug" | "info" | "warn" | "error"; obj: object; msg?: string };

/** An error as it crosses the thread boundary. */
export function toThreadError(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  const out: ThreadError = { name: e.name, message: e.message };
  if (err instanceof ModelSpecError) out.problems = err.problems;
  if (err instanceof ModelHashMismatchError)
    Object.assign(out, { uri: err.uri, expected: err.expected, actual: err.actual });
  if (err instanceof ModelFetchError) out.uri = err.uri;
  return out;
}

const SIMPLE: Record<string, new (message: string) => InferenceError> = {
  ProfileUnsupportedError,
  ModelLoadError,
  InferenceResourceError,
  InferenceError,
};

/** The same error class on this side (anything unknown becomes an Error with the name). */
export function fromThreadError(e: ThreadError): Error {
  if (e.name === "ModelSpecError" && e.problems) return new ModelSpecError(e.problems);
  if (e.name === "ModelHashMismatchError")
    return new ModelHashMismatchError(e.uri ?? "", e.expected ?? "", e.actual ?? "");
  if (e.name === "ModelFetchError") {
    const err = new ModelFetchError(e.uri ?? "", "");
    err.message = e.message;
    return err;
  }
  const Ctor = SIMPLE[e.name];
  if (Ctor) return new Ctor(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
