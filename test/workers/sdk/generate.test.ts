/**
 * The SDK's side of generative models: the spec's tokenizer (sha256-checked), prompt → task
 * input, canonical result → text, and the input check before the escrow moves, on the tiny LM's
 * spec and the shared vectors (test/vectors/generate.json).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, stringToBytes } from "viem";
import {
  assertInputFitsSpec,
  decodeGeneration,
  generateSection,
  InvalidTaskInputError,
  loadTokenizer,
  parseTokenizer,
  promptInput,
  ProtocolEncodingError,
  sha256Hex,
  TokenizerError,
} from "../../../workers/src/sdk/index.ts";
import { FIXTURE_DIR } from "../../support/models.ts";
import { generateVectors, vectorSpec } from "../../support/generate-vectors.ts";

const specText = readFileSync(join(FIXTURE_DIR, "tiny-lm.spec.json"), "utf8");
const tokPath = join(FIXTURE_DIR, "tiny-lm.tokenizer.json");
const greedySpec = (() => {
  const s = JSON.parse(specText) as { generate: { sampling: object } };
  s.generate.sampling = { method: "greedy" };
  return JSON.stringify(s);
})();

describe("SDK: tokenizers", () => {
  it("loads the spec's tokenizer and refuses one with another sha256", async () => {
    const tok = await loadTokenizer(specText, { path: tokPath });
    assert.deepEqual(tok.encode("abc!"), [2, 3, 4, 7]);
    assert.equal(tok.decode([2, 3, 1, 7]), "ab!", "specials (<eos>) dropped");
    const bytes = readFileSync(tokPath);
    assert.equal(sha256Hex(bytes), generateSection(specText).tokenizer.sha256);
    const other = new Uint8Array([...bytes.subarray(0, -1), 0x20]);
    assert.throws(() => parseTokenizer(other, generateSection(specText).tokenizer.sha256), TokenizerError);
    assert.throws(() => tok.encode("abz"), TokenizerError);
  });

  it("byte tokenizers: UTF-8 bytes, specials after 255", () => {
    const file = new TextEncoder().encode('{"type":"bytes","special":["<eos>"]}\n');
    const tok = parseTokenizer(file, sha256Hex(file));
    assert.equal(tok.size, 257);
    assert.deepEqual(tok.encode("hé"), [104, 195, 169]);
    assert.equal(tok.decode([104, 195, 169, 256]), "hé");
  });
});

describe("SDK: prompts and results", () => {
  it("turns a prompt into the task input the nodes accept", async () => {
    const tok = await loadTokenizer(specText, { path: tokPath });
    const seed = `0x${"5a".repeat(32)}` as const;
    const input = promptInput(specText, tok, "abc", { maxNewTokens: 4, seed });
    assert.equal(input, `{"prompt":[2,3,4],"maxNewTokens":4,"seed":"${seed}"}`);
    assertInputFitsSpec(new TextEncoder().encode(input), specText);
    const fresh = JSON.parse(promptInput(specText, tok, "a")) as { seed: string; maxNewTokens: number };
    assert.match(fresh.seed, /^0x[0-9a-f]{64}$/);
    assert.equal(fresh.maxNewTokens, 12, "the spec's maxNewTokens by default");
    assert.equal(
      promptInput(greedySpec, tok, "ab", { maxNewTokens: 2 }),
      '{"prompt":[2,3],"maxNewTokens":2}',
    );
    assert.throws(() => promptInput(greedySpec, tok, "ab", { seed }), ProtocolEncodingError);
    assert.throws(() => promptInput(specText, tok, "abcdeabcd"), ProtocolEncodingError, "9 tokens > 8");
    assert.throws(() => promptInput(specText, tok, "a", { maxNewTokens: 13 }), ProtocolEncodingError);
  });

  it("refuses a generative input the nodes would answer INVALID_INPUT, before the escrow", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    for (const bad of ['{"prompt":[2],"maxNewTokens":3}', '{"prompt":[9],"maxNewTokens":3,"seed":"0x00"}'])
      assert.throws(() => assertInputFitsSpec(enc(bad), specText), InvalidTaskInputError);
    assert.throws(
      () => assertInputFitsSpec(enc('{"prompt":[2],"maxNewTokens":1.0}'), greedySpec),
      InvalidTaskInputError,
    );
  });

  it("decodes the shared vectors' results; their hashes are keccak256 of the canonical bytes", async () => {
    const tok = await loadTokenizer(specText, { path: tokPath });
    for (const g of generateVectors().generations) {
      assertInputFitsSpec(new TextEncoder().encode(JSON.stringify(g.input)), vectorSpec(g));
      assert.equal(keccak256(stringToBytes(g.canonical)), g.outputHash);
      const d = decodeGeneration(tok, g.canonical);
      if (g.result !== "ok") assert.equal(d, null);
      else assert.deepEqual(d?.tokens, (JSON.parse(g.canonical) as { tokens: number[] }).tokens);
    }
    assert.deepEqual(decodeGeneration(tok, '{"tokens":[2,3,1],"stop":"eos"}'), {
      tokens: [2, 3, 1],
      stop: "eos",
      text: "ab",
    });
  });
});
