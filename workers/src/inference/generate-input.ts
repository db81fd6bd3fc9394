/**
 * The task input of a generative spec (PROTOCOL.md §7): strict UTF-8 JSON within
 * `maxInputBytes`, exactly `{"prompt":[ids],"maxNewTokens":n,"seed":"0x…"}` (`seed` with topk
 * only), ids and n integers written `0|[1-9][0-9]*`, 1 ≤ T₀ ≤ P, ids < V, 1 ≤ n ≤ N. Pure and free
 * of hashing, so the SDK checks inputs with it before the escrow moves.
 */
import type { Hex } from "viem";
import { StrictJsonError, isJsonObject, parseStrictJsonBytes } from "./json-strict.ts";
import { nonPlainNumber } from "./generate-spec.ts";
import type { ModelSpec } from "./spec-types.ts";

export interface GenerateInput {
  prompt: number[];
  maxNewTokens: number;
  /** Present exactly when the spec samples with topk. */
  seed?: Hex;
}

export type GenerateInputResult = ({ ok: true } & GenerateInput) | { ok: false; reason: string };

const SEED = /^0x[0-9a-fA-F]{64}$/;

function fail(reason: string): GenerateInputResult {
  return { ok: false, reason };
}

/** The task input of a generative spec (§7); anything the rules do not allow is `{ok:false}`. */
export function decodeGenerateInput(bytes: Uint8Array, spec: ModelSpec): GenerateInputResult {
  const g = spec.generate!;
  if (bytes.length > spec.maxInputBytes)
    return fail(`input is ${bytes.length} bytes, maxInputBytes is ${spec.maxInputBytes}`);
  let raw: unknown;
  try {
    raw = parseStrictJsonBytes(bytes);
  } catch (err) {
    return fail((err as StrictJsonError).message);
  }
  if (!isJsonObject(raw)) return fail("input: must be a JSON object");
  const topk = g.sampling.method === "topk";
  const keys = topk ? ["prompt", "maxNewTokens", "seed"] : ["prompt", "maxNewTokens"];
  const have = Object.keys(raw);
  if (have.length !== keys.length || !keys.every((k) => k in raw))
    return fail(`input: must have exactly the keys ${keys.join(", ")}`);
  const text = new TextDecoder().decode(bytes).replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const bad = nonPlainNumber(text);
  if (bad !== null) return fail(`input: ${bad} is not an integer written 0|[1-9][0-9]*`);
  const { prompt, maxNewTokens: n, seed } = raw;
  if (!Array.isArray(prompt) || prompt.length < 1 || prompt.length > g.maxPromptTokens)
    return fail(`prompt: must be 1 to ${g.maxPromptTokens} token ids`);
  if (!prompt.every((id) => typeof id === "number" && id < g.vocab))
    return fail(`prompt: every id must be an integer below ${g.vocab}`);
  if (typeof n !== "number" || n < 1 || n > g.maxNewTokens)
    return fail(`maxNewTokens: must be from 1 to ${g.maxNewTokens}`);
  if (topk && (typeof seed !== "string" || !SEED.test(seed)))
    return fail("seed: must be 0x and 64 hex digits");
  const out: GenerateInputResult = { ok: true, prompt: prompt as number[], maxNewTokens: n };
  if (topk) out.seed = `0x${(seed as string).slice(2).toLowerCase()}`;
  return out;
}
