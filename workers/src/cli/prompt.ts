/**
 * Prompts for generative models (PROTOCOL.md §7) on the command line: `--prompt "…"` is encoded
 * with the spec's tokenizer (checked against its sha256) into the task input, and a canonical
 * result `{"tokens":[…],"stop":…}` is decoded back into text. Shared by `infer` and `task create`.
 */
import { dirname, isAbsolute, join } from "node:path";
import type { Hex } from "viem";
import { CliError } from "./types.ts";
import {
  decodeGeneration,
  generateSection,
  loadTokenizer,
  promptInput,
  type Tokenizer,
} from "../sdk/generate.ts";

export const PROMPT_OPTIONS = {
  prompt: { type: "string" },
  seed: { type: "string" },
  "max-new-tokens": { type: "string" },
  tokenizer: { type: "string" },
} as const;

export const PROMPT_HELP = `  --prompt <text>          for a generative model: the prompt, encoded with the spec's tokenizer
  --seed <0x…>             the sampling seed of a top-k model (default: a fresh random seed)
  --max-new-tokens <n>     tokens to generate (default: the spec's maxNewTokens)
  --tokenizer <file>       where to read the spec's tokenizer (default: its uri); its sha256 is checked`;

export interface PromptValues {
  prompt?: string;
  seed?: string;
  "max-new-tokens"?: string;
  tokenizer?: string;
}

/**
 * The spec's tokenizer: from --tokenizer, else its uri (a relative uri is taken relative to the
 * spec file's folder when there is one).
 */
export async function cliTokenizer(
  specText: string,
  values: PromptValues,
  specFile?: string,
): Promise<Tokenizer> {
  const uri = generateSection(specText).tokenizer.uri;
  const path =
    values.tokenizer ??
    (specFile && !/^[a-z]+:\/\//.test(uri) && !isAbsolute(uri) ? join(dirname(specFile), uri) : undefined);
  try {
    return await loadTokenizer(specText, { path });
  } catch (err) {
    throw new CliError(`tokenizer: ${(err as Error).message}`);
  }
}

/** The task input of --prompt (with --seed and --max-new-tokens) and the tokenizer it used. */
export async function promptTaskInput(
  specText: string,
  values: PromptValues,
  specFile?: string,
): Promise<{ input: string; tokenizer: Tokenizer }> {
  const tokenizer = await cliTokenizer(specText, values, specFile);
  const n = values["max-new-tokens"];
  const maxNewTokens = n === undefined ? undefined : Number(n);
  try {
    const input = promptInput(specText, tokenizer, values.prompt ?? "", {
      maxNewTokens,
      seed: values.seed as Hex | undefined,
    });
    return { input, tokenizer };
  } catch (err) {
    throw new CliError(`--prompt: ${(err as Error).message}`);
  }
}

/** The text of a canonical generation, or null for an error result. */
export function generatedText(tokenizer: Tokenizer, canonical: string): string | null {
  return decodeGeneration(tokenizer, canonical)?.text ?? null;
}
