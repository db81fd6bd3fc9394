/** `omnitensor infer` and `omnitensor model check` on generative specs (the real binary). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURE_DIR } from "../../support/models.ts";
import { runBinSync } from "../../support/cli.ts";

const tmp = mkdtempSync(join(tmpdir(), "omnit-gen-cli-"));
const fx = (name: string) => join(FIXTURE_DIR, name);
const SEED = `0x${"11".repeat(32)}`;

const cli = (...args: string[]) => runBinSync(args);

const model = ["--model", fx("tiny-lm.onnx"), "--spec", fx("tiny-lm.spec.json")];

describe("omnitensor infer on a generative model", () => {
  it("--prompt: encodes with the spec's tokenizer and prints tokens, stop and text", () => {
    const r = cli("infer", ...model, "--prompt", "abc", "--seed", SEED, "--max-new-tokens", "5");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      result: string;
      tokens: number[];
      stop: string;
      text: string;
      canonical: string;
    };
    assert.equal(out.result, "ok");
    assert.equal(out.canonical, `{"tokens":[${out.tokens.join(",")}],"stop":"${out.stop}"}`);
    const table = ["", "", "a", "b", "c", "d", "e", "!"];
    assert.equal(out.text, out.tokens.map((t) => table[t]).join(""));
    // The same generation from an input file gives the same hash.
    const file = join(tmp, "in.json");
    writeFileSync(file, JSON.stringify({ prompt: [2, 3, 4], maxNewTokens: 5, seed: SEED }));
    const f = cli("infer", ...model, "--input", file);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(
      (JSON.parse(f.stdout) as { outputHash: string }).outputHash,
      (JSON.parse(r.stdout) as { outputHash: string }).outputHash,
    );
  });

  it("refuses a tokenizer whose sha256 is not the spec's, and --prompt on a non-generative spec", () => {
    const bad = join(tmp, "tok.json");
    writeFileSync(bad, readFileSync(fx("tiny-lm.tokenizer.json"), "utf8").replace("!", "?"));
    const r = cli("infer", ...model, "--prompt", "abc", "--seed", SEED, "--tokenizer", bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /sha256/);
    const mlp = cli(
      "infer",
      "--model",
      fx("tiny-mlp.onnx"),
      "--spec",
      fx("tiny-mlp.spec.json"),
      "--prompt",
      "a",
    );
    assert.notEqual(mlp.code, 0);
    assert.match(mlp.stderr, /generative/);
  });
});

describe("omnitensor model check on a generative spec", () => {
  it("accepts the tiny LM's spec and names what does not fit", () => {
    const ok = cli("model", "check", ...model);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /OK \(generative: topk, vocab 8, 1 cache pairs\)/);
    const s = JSON.parse(readFileSync(fx("tiny-lm.spec.json"), "utf8")) as {
      generate: Record<string, unknown>;
    };
    s.generate.vocab = 9;
    s.generate.maxNewTokens = 1.0; // JSON.stringify writes 1: checked below with the text itself
    const wrong = join(tmp, "wrong.spec.json");
    writeFileSync(wrong, JSON.stringify(s).replace('"maxNewTokens":1', '"maxNewTokens":1.0'));
    const r = cli("model", "check", "--model", fx("tiny-lm.onnx"), "--spec", wrong);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /1\.0 is not an integer written/);
  });
});
