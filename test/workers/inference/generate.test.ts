/**
 * Generative models (PROTOCOL.md §7) on the hand-built tiny LM (scripts/build-tiny-lm.ts): the
 * step loop with and without a cache, the choice, the ends (eos, length, FRAGILE, NON_FINITE, a
 * run error), the task input's rules, and what changes the hash.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InferenceEngine, type LoadedModel } from "../../../workers/src/inference/runtime/engine.ts";
import { ThreadedInferenceEngine } from "../../../workers/src/inference/runtime/threaded-engine.ts";
import { InferenceResourceError, ModelSpecError } from "../../../workers/src/inference/errors.ts";
import { generationCanonical } from "../../../workers/src/inference/generation.ts";
import { outputHash } from "../../../workers/src/inference/canonical.ts";
import { FIXTURE_DIR } from "../../support/models.ts";

const path = (id: string) => join(FIXTURE_DIR, `${id}.onnx`);
const specText = (id: string) => readFileSync(join(FIXTURE_DIR, `${id}.spec.json`), "utf8");
type Spec = { generate: Record<string, unknown>; execution: Record<string, unknown> };
const specWith = (id: string, edit: (s: Spec) => void): string => {
  const s = JSON.parse(specText(id)) as Spec;
  edit(s);
  return JSON.stringify(s);
};
const SEED = `0x${"11".repeat(32)}`;
/** A task input; `seed` null leaves the seed out (greedy). */
const input = (prompt: number[], maxNewTokens = 12, seed: string | null = SEED) =>
  JSON.stringify(seed === null ? { prompt, maxNewTokens } : { prompt, maxNewTokens, seed });

describe("generation on the tiny LM", () => {
  const engine = new InferenceEngine({ batchWindowMs: 0 });
  let cached: LoadedModel;
  let uncached: LoadedModel;
  let greedy: LoadedModel;
  before(async () => {
    cached = await engine.load(specText("tiny-lm"), path("tiny-lm"));
    uncached = await engine.load(specText("tiny-lm-nocache"), path("tiny-lm-nocache"));
    const g = specWith("tiny-lm", (s) => (s.generate.sampling = { method: "greedy" }));
    greedy = await engine.load(g, path("tiny-lm"));
  });
  after(() => engine.close());

  it("generates tokens and hashes {tokens, stop}; honest reruns agree", async () => {
    const a = await cached.infer(input([2, 3]));
    assert.equal(a.result, "ok");
    const out = JSON.parse(a.canonical) as { tokens: number[]; stop: string };
    assert.equal(out.tokens.length, 12);
    assert.equal(out.stop, "length");
    assert.equal(a.canonical, generationCanonical(out.tokens, "length"));
    assert.equal(a.outputHash, outputHash(a.canonical));
    assert.ok(a.margin > 2e-6 && Number.isFinite(a.margin));
    for (let i = 0; i < 3; i++) assert.equal((await cached.infer(input([2, 3]))).outputHash, a.outputHash);
  });

  it("gives the same tokens and margin with the cache as with the whole sequence each step", async () => {
    for (const prompt of [[2, 3], [4], [5, 6, 2], [6, 5, 4, 3]]) {
      for (const seed of [SEED, `0x${"ab".repeat(32)}`]) {
        const a = await cached.infer(input(prompt, 12, seed));
        const b = await uncached.infer(input(prompt, 12, seed));
        assert.equal(a.canonical, b.canonical);
        assert.equal(a.margin, b.margin);
      }
    }
  });

  it("changes the hash with another seed, another temperature or a one-token change in the prompt", async () => {
    const base = await cached.infer(input([2, 3]));
    const seed = await cached.infer(input([2, 3], 12, `0x${"12".repeat(32)}`));
    const prompt = await cached.infer(input([2, 4]));
    const hot = await engine.load(
      specWith("tiny-lm", (s) => (s.generate.sampling = { method: "topk", k: 3, temperature: "1.9" })),
      path("tiny-lm"),
    );
    const temp = await hot.infer(input([2, 3]));
    for (const r of [seed, prompt, temp]) assert.equal(r.result, "ok");
    assert.equal(new Set([base, seed, prompt, temp].map((r) => r.outputHash)).size, 4);
  });

  it("greedy: the argmax each step, stops at an eos token (kept)", async () => {
    const r = await greedy.infer(input([6], 12, null));
    assert.equal(r.canonical, '{"tokens":[1],"stop":"eos"}');
    const long = await greedy.infer(input([2, 3], 12, null));
    assert.deepEqual(JSON.parse(long.canonical), {
      tokens: [2, 3, 2, 2, 0, 0, 0, 0, 0, 0, 0, 2],
      stop: "length",
    });
    const short = await greedy.infer(input([2, 3], 3, null));
    assert.equal(short.canonical, '{"tokens":[2,3,2],"stop":"length"}');
  });

  it("ends with FRAGILE, NON_FINITE or INVALID_INPUT as §7 orders them", async () => {
    const fragile = await cached.infer(input([0], 3)); // eight equal logits at step 0
    assert.equal(fragile.canonical, '{"error":"FRAGILE"}');
    assert.equal(fragile.margin, 0);
    const nonFinite = await cached.infer(input([7, 7], 3)); // 3e38 + 3e38 overflows
    assert.equal(nonFinite.canonical, '{"error":"NON_FINITE"}');
    // Positions past 15 are outside the position table: the run fails at step 8 (INVALID_INPUT).
    const runError = await cached.infer(input([2, 3, 4, 5, 6, 2, 3, 4], 12));
    assert.equal(runError.canonical, '{"error":"INVALID_INPUT"}');
    assert.match(runError.reason ?? "", /rejected/);
    assert.ok(Number.isFinite(runError.margin), "the margin of the steps that ran");
    const eight = await cached.infer(input([2, 3, 4, 5, 6, 2, 3, 4], 8));
    assert.equal(eight.result, "ok", "8 new tokens stay inside the table");
  });

  it("a running minimum in [margin, 2·margin) skips; below margin is FRAGILE", async () => {
    const ok = await greedy.infer(input([2, 3], 12, null));
    const m = ok.margin;
    const skip = await engine.load(
      specWith("tiny-lm", (s) => {
        s.generate.sampling = { method: "greedy" };
        s.execution.margin = m * 0.75;
      }),
      path("tiny-lm"),
    );
    const r = await skip.infer(input([2, 3], 12, null));
    assert.equal(r.result, "ok");
    assert.equal(r.skip, true);
    const fragile = await engine.load(
      specWith("tiny-lm", (s) => {
        s.generate.sampling = { method: "greedy" };
        s.execution.margin = m * 1.01;
      }),
      path("tiny-lm"),
    );
    assert.equal((await fragile.infer(input([2, 3], 12, null))).canonical, '{"error":"FRAGILE"}');
  });

  it("refuses task inputs outside §7's rules with INVALID_INPUT", async () => {
    const bad = [
      input([2, 3], 12, null), // topk needs a seed
      input([], 3),
      input([2, 3, 4, 5, 6, 2, 3, 4, 5], 3), // 9 > maxPromptTokens
      input([8], 3), // id ≥ vocab
      input([2], 0),
      input([2], 13), // > generate.maxNewTokens
      input([2], 3, "0x11"),
      `{"prompt":[2.0],"maxNewTokens":3,"seed":"${SEED}"}`,
      `{"prompt":[2],"maxNewTokens":3e0,"seed":"${SEED}"}`,
      `{"prompt":[2],"prompt":[3],"maxNewTokens":3,"seed":"${SEED}"}`,
      `{"prompt":[2],"maxNewTokens":3,"seed":"${SEED}","x":1}`,
      `\ufeff${input([2], 3)}`,
      `{"prompt":[-1],"maxNewTokens":3,"seed":"${SEED}"}`,
    ];
    for (const b of bad) assert.equal((await cached.infer(b)).result, "INVALID_INPUT", b);
    assert.equal((await greedy.infer(input([2], 3))).result, "INVALID_INPUT", "greedy refuses a seed");
    // The seed is the JSON string's value: escapes decoded, either case.
    const upper = await cached.infer(input([2, 3], 5, `0x${"AB".repeat(32)}`));
    const escaped = await cached.infer(
      `{"prompt":[2,3],"maxNewTokens":5,"seed":"\\u0030x${"ab".repeat(32)}"}`,
    );
    const lower = await cached.infer(input([2, 3], 5, `0x${"ab".repeat(32)}`));
    assert.equal(upper.outputHash, lower.outputHash);
    assert.equal(escaped.outputHash, lower.outputHash);
    assert.equal(lower.result, "ok");
  });

  it("a generation past the node's time budget is no result (throws)", async () => {
    const e = new InferenceEngine({ batchWindowMs: 0, maxGenerateMs: 0 });
    try {
      const m = await e.load(specText("tiny-lm"), path("tiny-lm"));
      await assert.rejects(m.infer(input([2, 3], 5)), InferenceResourceError);
    } finally {
      await e.close();
    }
  });

  it("refuses a spec whose generate section does not fit the model", async () => {
    const wrong = [
      specWith("tiny-lm", (s) => (s.generate.logits = "nope")),
      specWith("tiny-lm", (s) => (s.generate.vocab = 9)),
      specWith("tiny-lm", (s) => delete s.generate.mask),
      specWith("tiny-lm", (s) => (s.generate.cacheSeqDim = 0)),
      specWith("tiny-lm", (s) => (s.generate.cache = [{ input: "past", output: "logitz" }])),
      specWith("tiny-lm-nocache", (s) => (s.generate.positions = "past")),
    ];
    for (const w of wrong) await assert.rejects(engine.load(w, path("tiny-lm")), ModelSpecError, w);
  });
});

describe("generation in an inference thread", () => {
  it("gives the in-process engine's result", async () => {
    const threaded = new ThreadedInferenceEngine({ inferenceThreads: 1, batchWindowMs: 0 });
    const direct = new InferenceEngine({ batchWindowMs: 0 });
    try {
      const a = await (
        await threaded.load(specText("tiny-lm"), path("tiny-lm"))
      ).infer(new TextEncoder().encode(input([5, 6])));
      const b = await (await direct.load(specText("tiny-lm"), path("tiny-lm"))).infer(input([5, 6]));
      assert.equal(a.result, "ok");
      assert.equal(a.outputHash, b.outputHash);
      assert.equal(a.margin, b.margin);
    } finally {
      await threaded.close();
      await direct.close();
    }
  });
});
