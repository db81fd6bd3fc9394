/**
 * The trained byte-level model of models/tiny-lm (train.py): the spec fits the file, honest reruns
 * agree, the cache export and the whole-sequence export give the same tokens, and the result
 * decodes to text with the spec's tokenizer.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { InferenceEngine, type LoadedModel } from "../../../workers/src/inference/runtime/engine.ts";
import { decodeGeneration, loadTokenizer, promptInput } from "../../../workers/src/sdk/generate.ts";
import { trainedLm } from "../../support/models.ts";

const lm = trainedLm();
const { specText } = lm;

describe("tiny-lm (trained)", () => {
  const engine = new InferenceEngine({ batchWindowMs: 0 });
  let cached: LoadedModel;
  let whole: LoadedModel;
  before(async () => {
    cached = await engine.load(specText, { path: lm.onnx, sha256: lm.sha256 });
    whole = await engine.load(lm.noCacheSpecText, { path: lm.noCacheOnnx, sha256: lm.noCacheSha256 });
  });
  after(() => engine.close());

  it("generates text from a prompt; reruns and the no-cache export agree", async () => {
    const tok = await loadTokenizer(specText, { path: lm.tokenizer });
    const hashes = new Set<string>();
    for (const [prompt, seed] of [
      ["We hold these truths", "11"],
      ["In the beginning", "22"],
      ["The Lord is my", "33"],
    ]) {
      const input = promptInput(specText, tok, prompt, { maxNewTokens: 16, seed: `0x${seed.repeat(32)}` });
      const a = await cached.infer(input);
      const b = await cached.infer(input);
      const c = await whole.infer(input);
      assert.equal(a.result, "ok", a.reason);
      assert.equal(b.outputHash, a.outputHash);
      assert.equal(c.canonical, a.canonical, "cache and whole sequence give the same tokens");
      const g = decodeGeneration(tok, a.canonical)!;
      assert.ok(g.tokens.length >= 1 && g.tokens.length <= 16);
      assert.equal(typeof g.text, "string");
      hashes.add(a.outputHash);
    }
    assert.equal(hashes.size, 3);
  });

  it("another seed, another temperature or a one-token change in the prompt changes the hash", async () => {
    const tok = await loadTokenizer(specText, { path: lm.tokenizer });
    const withTemperature = (t: string) => {
      const s = JSON.parse(specText) as { generate: { sampling: { temperature: string } } };
      s.generate.sampling.temperature = t;
      return JSON.stringify(s);
    };
    const src = (sha256: string) => ({ path: lm.onnx, sha256 });
    const hot = await engine.load(withTemperature("1.5"), src(lm.sha256));
    const sameT = await engine.load(withTemperature("0.80"), src(lm.sha256));
    const seedA = `0x${"11".repeat(32)}` as const;
    const make = (prompt: string, seed: `0x${string}`) =>
      promptInput(specText, tok, prompt, { maxNewTokens: 24, seed });
    // A prompt outside the corpus: on text it learned by heart the model is so sure of each next
    // byte that every seed (and a higher temperature) gives the same tokens.
    const base = await cached.infer(make("My cat likes", seedA));
    const seed = await cached.infer(make("My cat likes", `0x${"22".repeat(32)}`));
    // One byte is one token (byte-level tokenizer): "s" → "t" changes the prompt's last token only.
    const prompt = await cached.infer(make("My cat liket", seedA));
    const temp = await hot.infer(make("My cat likes", seedA));
    for (const r of [base, seed, prompt, temp]) assert.equal(r.result, "ok", r.reason);
    assert.equal(new Set([base, seed, prompt, temp].map((r) => r.outputHash)).size, 4);
    // "0.80" and "0.8" name the same float64 t: the written form alone changes nothing.
    assert.equal((await sameT.infer(make("My cat likes", seedA))).outputHash, base.outputHash);
  });
});
