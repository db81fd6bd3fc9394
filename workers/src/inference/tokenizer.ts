/**
 * Tokenizers of generative specs (PROTOCOL.md §7: tokenization is off chain; the SDK encodes
 * prompts and decodes tokens with the spec's tokenizer, checked against its sha256). A tokenizer
 * file is UTF-8 JSON of one of two kinds:
 *
 * - `{"type":"bytes","special":["<eos>",…]}`: ids 0..255 are the bytes of the UTF-8 text,
 *   256 + i is special token i (never produced by `encode`, dropped by `decode`);
 * - `{"type":"table","tokens":["<pad>","<eos>","a",…]}`: id i is tokens[i]; `encode` takes the
 *   longest token that matches at each place; tokens written `<…>` are special (not matched,
 *   dropped by `decode`).
 *
 * Pure (no file or network access): `parseTokenizer(bytes, sha256)` checks the hash first.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { InferenceError } from "./errors.ts";
import { isJsonObject, parseStrictJsonBytes } from "./json-strict.ts";

export interface Tokenizer {
  /** How many ids the tokenizer knows. */
  readonly size: number;
  encode(text: string): number[];
  /** The text of `ids`; special tokens are dropped, bytes that are not UTF-8 become U+FFFD. */
  decode(ids: readonly number[]): string;
}

/** The tokenizer file is not what the spec names (hash) or not a tokenizer (format). */
export class TokenizerError extends InferenceError {}

const isSpecial = (t: string) => t.length > 2 && t.startsWith("<") && t.endsWith(">");

function bytesTokenizer(special: string[]): Tokenizer {
  return {
    size: 256 + special.length,
    encode: (text) => [...new TextEncoder().encode(text)],
    decode: (ids) => new TextDecoder().decode(Uint8Array.from(ids.filter((id) => id < 256))),
  };
}

function tableTokenizer(tokens: string[]): Tokenizer {
  const matchable = tokens
    .map((t, id) => ({ t, id }))
    .filter((x) => x.t.length > 0 && !isSpecial(x.t))
    .sort((a, b) => b.t.length - a.t.length || a.id - b.id);
  return {
    size: tokens.length,
    encode(text) {
      const ids: number[] = [];
      for (let i = 0; i < text.length;) {
        const m = matchable.find((x) => text.startsWith(x.t, i));
        if (!m) throw new TokenizerError(`no token for ${JSON.stringify(text.slice(i, i + 8))} at ${i}`);
        ids.push(m.id);
        i += m.t.length;
      }
      return ids;
    },
    decode: (ids) => ids.map((id) => (isSpecial(tokens[id] ?? "") ? "" : (tokens[id] ?? "\ufffd"))).join(""),
  };
}

/** sha256 of bytes as 0x-hex (lowercase). */
export function sha256Hex(bytes: Uint8Array): `0x${string}` {
  return `0x${bytesToHex(sha256(bytes))}`;
}

/** Parses a tokenizer file after checking its sha256 against the spec's (`0x` + 64 hex, any case). */
export function parseTokenizer(bytes: Uint8Array, expectedSha256: string): Tokenizer {
  const actual = sha256Hex(bytes);
  if (actual !== expectedSha256.toLowerCase())
    throw new TokenizerError(`tokenizer sha256 is ${actual}, the spec says ${expectedSha256}`);
  let raw: unknown;
  try {
    raw = parseStrictJsonBytes(bytes);
  } catch (err) {
    throw new TokenizerError(`tokenizer: ${(err as Error).message}`);
  }
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");
  if (isJsonObject(raw) && raw.type === "bytes" && strings(raw.special ?? []))
    return bytesTokenizer((raw.special ?? []) as string[]);
  if (isJsonObject(raw) && raw.type === "table" && strings(raw.tokens)) return tableTokenizer(raw.tokens);
  throw new TokenizerError(
    'tokenizer: must be {"type":"bytes","special":[…]} or {"type":"table","tokens":[…]}',
  );
}
