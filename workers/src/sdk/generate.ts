/**
 * Text generation tasks (PROTOCOL.md §7, generative models): load the spec's tokenizer (checked
 * against its sha256), turn a prompt into the task input, and the canonical result back into text.
 *
 * ```ts
 * const tok = await loadTokenizer(specText);                      // the spec's tokenizer.uri, or { path }
 * const input = promptInput(specText, tok, "We hold these truths", { maxNewTokens: 32 });
 * const task = await createTask(ctx, { modelId, input, reward: "5" });
 * … const { text, tokens, stop } = decodeGeneration(tok, result.outputText);
 * ```
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { bytesToHex, type Hex } from "viem";
import { readModel } from "../chain/reads.ts";
import { parseStrictJson } from "../inference/json-strict.ts";
import { validateModelSpec, type GenerateSpec } from "../inference/spec.ts";
import { parseTokenizer, type Tokenizer } from "../inference/tokenizer.ts";
import { ProtocolEncodingError } from "../protocol/errors.ts";
import type { OmniTensorContext } from "./context.ts";

export { parseTokenizer, sha256Hex, TokenizerError, type Tokenizer } from "../inference/tokenizer.ts";

/** The `generate` section of a spec (its JSON text as ModelRegistry stores it); throws when there is none. */
export function generateSection(specText: string): GenerateSpec {
  const { spec, problems } = validateModelSpec(parseStrictJson(specText), specText);
  if (!spec) throw new ProtocolEncodingError("spec", problems.join("; "));
  if (!spec.generate) throw new ProtocolEncodingError("spec", "not a generative model (no generate section)");
  return spec.generate;
}

/**
 * Reads the spec's tokenizer (from `path` when given, else its `uri`: file://, http(s):// or a
 * path) and checks it against the spec's sha256.
 */
export async function loadTokenizer(specText: string, opts: { path?: string } = {}): Promise<Tokenizer> {
  const { uri, sha256 } = generateSection(specText).tokenizer;
  const where = opts.path ?? uri;
  let bytes: Uint8Array;
  if (/^https?:\/\//.test(where)) {
    const res = await fetch(where);
    if (!res.ok) throw new ProtocolEncodingError("tokenizer", `${where}: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else bytes = await readFile(where.startsWith("file://") ? fileURLToPath(where) : where);
  return parseTokenizer(bytes, sha256);
}

/** A fresh random seed for a top-k task (the seed is public: a fresh one gives fresh text). */
export function randomSeed(): Hex {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

export interface PromptOptions {
  /** New tokens to generate (1..the spec's maxNewTokens; default the spec's maxNewTokens). */
  maxNewTokens?: number;
  /** The sampling seed for top-k specs (default a fresh random seed); refused with greedy. */
  seed?: Hex;
}

/** The task input JSON of a prompt: `{"prompt":[ids],"maxNewTokens":n,"seed":"0x…"}` (no seed with greedy). */
export function promptInput(
  specText: string,
  tokenizer: Tokenizer,
  prompt: string,
  opts: PromptOptions = {},
): string {
  const g = generateSection(specText);
  const ids = tokenizer.encode(prompt);
  if (ids.length < 1 || ids.length > g.maxPromptTokens)
    throw new ProtocolEncodingError(
      "prompt",
      `is ${ids.length} tokens, the model takes 1 to ${g.maxPromptTokens}`,
    );
  const maxNewTokens = opts.maxNewTokens ?? g.maxNewTokens;
  if (!Number.isSafeInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > g.maxNewTokens)
    throw new ProtocolEncodingError("maxNewTokens", `must be from 1 to ${g.maxNewTokens}`);
  if (g.sampling.method === "greedy") {
    if (opts.seed !== undefined) throw new ProtocolEncodingError("seed", "a greedy model takes no seed");
    return JSON.stringify({ prompt: ids, maxNewTokens });
  }
  const seed = opts.seed ?? randomSeed();
  if (!/^0x[0-9a-fA-F]{64}$/.test(seed))
    throw new ProtocolEncodingError("seed", "must be 0x and 64 hex digits");
  return JSON.stringify({ prompt: ids, maxNewTokens, seed });
}

export interface Generated {
  tokens: number[];
  stop: "eos" | "length";
  text: string;
}

/** The tokens, stop and text of a canonical generation `{"tokens":[…],"stop":…}`; null for an error result. */
export function decodeGeneration(tokenizer: Tokenizer, canonical: string): Generated | null {
  const v = JSON.parse(canonical) as { tokens?: number[]; stop?: "eos" | "length" };
  if (!Array.isArray(v.tokens) || (v.stop !== "eos" && v.stop !== "length")) return null;
  return { tokens: v.tokens, stop: v.stop, text: tokenizer.decode(v.tokens) };
}

/** The spec JSON a model was registered with (ModelRegistry.getModel). */
export async function modelSpec(ctx: OmniTensorContext, modelId: Hex): Promise<string> {
  return (await readModel(ctx.publicClient, ctx.deployment.contracts.ModelRegistry, modelId)).spec;
}
