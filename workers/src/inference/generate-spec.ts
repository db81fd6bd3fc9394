/**
 * The `generate` section of a model spec (PROTOCOL.md §7, "Generative models"): a decoder-only
 * language model run one step at a time, the chosen token fed back. Pure parsing and validation,
 * every problem named by its field; the checks against the model file are in runtime/check.ts.
 *
 * ```json
 * "generate":{"tokens":"input_ids","positions":"position_ids","mask":"attention_mask",
 *   "cache":[{"input":"past_k0","output":"present_k0"},…],"cacheSeqDim":2,
 *   "logits":"logits","vocab":256,"eos":[10],"maxPromptTokens":64,"maxNewTokens":64,
 *   "sampling":{"method":"topk","k":8,"temperature":"0.8"},
 *   "tokenizer":{"uri":"ipfs://…","sha256":"0x…"}}
 * ```
 */
import { isJsonObject } from "./json-strict.ts";

export interface CacheEntry {
  input: string;
  output: string;
  /** The sequence axis of this cache tensor (the entry's `seqDim`, else the section's `cacheSeqDim`). */
  seqDim: number;
}

export type Sampling = { method: "greedy" } | { method: "topk"; k: number; temperature: string };

export interface GenerateSpec {
  tokens: string;
  positions?: string;
  mask?: string;
  cache?: CacheEntry[];
  logits: string;
  vocab: number;
  eos: number[];
  maxPromptTokens: number;
  maxNewTokens: number;
  sampling: Sampling;
  tokenizer: { uri: string; sha256: string };
}

const SECTION_KEYS = [
  "tokens",
  "positions",
  "mask",
  "cache",
  "cacheSeqDim",
  "logits",
  "vocab",
  "eos",
  "maxPromptTokens",
  "maxNewTokens",
  "sampling",
  "tokenizer",
];
const REQUIRED = [
  "tokens",
  "logits",
  "vocab",
  "eos",
  "maxPromptTokens",
  "maxNewTokens",
  "sampling",
  "tokenizer",
];
const TEMPERATURE = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const SHA256 = /^0x[0-9a-fA-F]{64}$/;

/** Exactly `keys` (the optional ones may be absent, the others must be present). */
function exactKeys(
  obj: Record<string, unknown>,
  keys: readonly string[],
  required: readonly string[],
  path: string,
  problems: string[],
): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) problems.push(`${path}.${k}: unknown field`);
  for (const k of required) if (!(k in obj)) problems.push(`${path}.${k}: required`);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function name(v: unknown, path: string, problems: string[]): string | undefined {
  if (typeof v === "string" && v.length > 0) return v;
  problems.push(`${path}: must be a non-empty string (a graph input or output name)`);
  return undefined;
}

function count(v: unknown, path: string, problems: string[]): number | undefined {
  if (isCount(v)) return v;
  problems.push(`${path}: must be an integer written 0|[1-9][0-9]*`);
  return undefined;
}

/**
 * The temperature of §7: a decimal string `(0|[1-9][0-9]*)(\.[0-9]+)?` whose decimal value is in
 * (0, 2] and whose nearest float64 is above 0. Returns that float64, or a problem.
 */
export function parseTemperature(s: unknown): number | string {
  if (typeof s !== "string" || !TEMPERATURE.test(s))
    return 'must be a decimal string such as "0.8" ((0|[1-9][0-9]*)(\\.[0-9]+)?)';
  const [int, frac = ""] = s.split(".");
  const zeroFrac = /^0*$/.test(frac);
  if (int === "0" && zeroFrac) return "must be above 0";
  if (int !== "0" && int !== "1" && !(int === "2" && zeroFrac)) return "must be at most 2";
  const t = Number(s); // the nearest float64 (ECMAScript's string-to-number is correctly rounded)
  if (!(t > 0)) return "its float64 must be above 0";
  return t;
}

function parseSampling(v: unknown, vocab: number | undefined, problems: string[]): Sampling | undefined {
  const path = "generate.sampling";
  if (!isJsonObject(v)) {
    problems.push(`${path}: must be {"method":"greedy"} or {"method":"topk","k":K,"temperature":"…"}`);
    return undefined;
  }
  if (v.method === "greedy") {
    exactKeys(v, ["method"], ["method"], path, problems);
    return { method: "greedy" };
  }
  if (v.method !== "topk") {
    problems.push(`${path}.method: must be "greedy" or "topk"`);
    return undefined;
  }
  exactKeys(v, ["method", "k", "temperature"], ["method", "k", "temperature"], path, problems);
  const k = count(v.k, `${path}.k`, problems);
  if (k !== undefined && (k < 1 || (vocab !== undefined && k > vocab)))
    problems.push(`${path}.k: must be from 1 to vocab (${vocab})`);
  const t = parseTemperature(v.temperature);
  if (typeof t === "string") problems.push(`${path}.temperature: ${t}`);
  if (k === undefined || typeof t === "string") return undefined;
  return { method: "topk", k, temperature: v.temperature as string };
}

function parseTokenizer(v: unknown, problems: string[]): GenerateSpec["tokenizer"] | undefined {
  const path = "generate.tokenizer";
  if (!isJsonObject(v)) {
    problems.push(`${path}: must be {"uri":"…","sha256":"0x…"}`);
    return undefined;
  }
  exactKeys(v, ["uri", "sha256"], ["uri", "sha256"], path, problems);
  if (typeof v.uri !== "string" || v.uri.length === 0)
    problems.push(`${path}.uri: must be a non-empty string`);
  if (typeof v.sha256 !== "string" || !SHA256.test(v.sha256))
    problems.push(`${path}.sha256: must be 0x and 64 hex digits`);
  if (typeof v.uri !== "string" || typeof v.sha256 !== "string") return undefined;
  return { uri: v.uri, sha256: v.sha256 };
}

function parseCache(v: unknown, sectionSeqDim: unknown, problems: string[]): CacheEntry[] | undefined {
  const path = "generate.cache";
  if (!Array.isArray(v) || v.length === 0) {
    problems.push(`${path}: must be a non-empty array of {"input","output","seqDim"?}`);
    return undefined;
  }
  const out: CacheEntry[] = [];
  v.forEach((e: unknown, i) => {
    const p = `${path}[${i}]`;
    if (!isJsonObject(e)) {
      problems.push(`${p}: must be {"input","output","seqDim"?}`);
      return;
    }
    exactKeys(e, ["input", "output", "seqDim"], ["input", "output"], p, problems);
    const input = name(e.input, `${p}.input`, problems);
    const output = name(e.output, `${p}.output`, problems);
    if (e.seqDim === undefined && sectionSeqDim === undefined)
      problems.push(`${p}.seqDim: required unless generate.cacheSeqDim is given`);
    const seqDim =
      e.seqDim !== undefined
        ? count(e.seqDim, `${p}.seqDim`, problems)
        : isCount(sectionSeqDim)
          ? sectionSeqDim
          : undefined;
    if (input && output && seqDim !== undefined) out.push({ input, output, seqDim });
  });
  return out.length === v.length ? out : undefined;
}

function parseEos(v: unknown, vocab: number | undefined, problems: string[]): number[] | undefined {
  if (
    !Array.isArray(v) ||
    !v.every((x) => isCount(x) && (vocab === undefined || x < vocab)) ||
    new Set(v).size !== v.length
  ) {
    problems.push("generate.eos: must be an array of distinct token ids below vocab");
    return undefined;
  }
  return v as number[];
}

/** The graph input names the section uses must be distinct. */
function checkDistinctInputs(g: GenerateSpec, problems: string[]): void {
  const names = [g.tokens, g.positions, g.mask, ...(g.cache ?? []).map((c) => c.input)].filter(
    (n): n is string => n !== undefined,
  );
  if (new Set(names).size !== names.length) problems.push("generate: the input names must be distinct");
  const outs = [g.logits, ...(g.cache ?? []).map((c) => c.output)];
  if (new Set(outs).size !== outs.length) problems.push("generate: the output names must be distinct");
}

/** Validates a `generate` section; undefined (and problems) when it breaks a rule of §7. */
export function parseGenerate(v: unknown, problems: string[]): GenerateSpec | undefined {
  if (!isJsonObject(v)) {
    problems.push("generate: must be an object");
    return undefined;
  }
  const before = problems.length;
  exactKeys(v, SECTION_KEYS, REQUIRED, "generate", problems);
  const tokens = name(v.tokens, "generate.tokens", problems);
  const positions = v.positions === undefined ? undefined : name(v.positions, "generate.positions", problems);
  const mask = v.mask === undefined ? undefined : name(v.mask, "generate.mask", problems);
  const logits = name(v.logits, "generate.logits", problems);
  const vocab = count(v.vocab, "generate.vocab", problems);
  if (v.cacheSeqDim !== undefined) {
    count(v.cacheSeqDim, "generate.cacheSeqDim", problems);
    if (v.cache === undefined) problems.push("generate.cacheSeqDim: only with generate.cache");
  }
  const cache = v.cache === undefined ? undefined : parseCache(v.cache, v.cacheSeqDim, problems);
  const eos = parseEos(v.eos, vocab, problems);
  const maxPromptTokens = count(v.maxPromptTokens, "generate.maxPromptTokens", problems);
  const maxNewTokens = count(v.maxNewTokens, "generate.maxNewTokens", problems);
  const sampling = parseSampling(v.sampling, vocab, problems);
  const tokenizer = parseTokenizer(v.tokenizer, problems);
  if (problems.length > before) return undefined;
  const g: GenerateSpec = {
    tokens: tokens!,
    logits: logits!,
    vocab: vocab!,
    eos: eos!,
    maxPromptTokens: maxPromptTokens!,
    maxNewTokens: maxNewTokens!,
    sampling: sampling!,
    tokenizer: tokenizer!,
  };
  if (positions !== undefined) g.positions = positions;
  if (mask !== undefined) g.mask = mask;
  if (cache !== undefined) g.cache = cache;
  checkDistinctInputs(g, problems);
  return problems.length > before ? undefined : g;
}

/**
 * The first number in the `generate` section of a spec's JSON text that is not written
 * `0|[1-9][0-9]*` (every number there is an integer so written, §7), or null. `text` is valid JSON.
 */
export function nonPlainNumberInSection(text: string, key: string): string | null {
  // Strings out (the key we look for kept), so that braces and digits in them do not count.
  const stripped = text.replace(/"(?:[^"\\]|\\.)*"/g, (s) => (JSON.parse(s) === key ? '"@"' : '""'));
  let depth = 0;
  for (let i = 0; i < stripped.length; i++) {
    const c = stripped[i];
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (depth === 1 && stripped.startsWith('"@"', i)) {
      const m = /^"@"\s*:\s*/.exec(stripped.slice(i));
      if (!m) continue;
      const start = i + m[0].length;
      let d = 0;
      let end = start;
      do {
        const ch = stripped[end];
        if (ch === "{" || ch === "[") d++;
        else if (ch === "}" || ch === "]") d--;
        end++;
      } while (d > 0 && end < stripped.length);
      return nonPlainNumber(stripped.slice(start, end));
    }
  }
  return null;
}

/** The first number token in JSON text (strings removed) not written `0|[1-9][0-9]*`, or null. */
export function nonPlainNumber(strippedJson: string): string | null {
  for (const m of strippedJson.matchAll(/-?[0-9][0-9.eE+-]*/g))
    if (!/^(0|[1-9][0-9]*)$/.test(m[0])) return m[0];
  return null;
}
