import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURE_DIR, knownModel } from "../../support/models.ts";
import { runBinSync } from "../../support/cli.ts";

const tmp = mkdtempSync(join(tmpdir(), "omnit-cli-"));

const cliWithStdin = (input: string | undefined, ...args: string[]) => runBinSync(args, input);
const cli = (...args: string[]) => runBinSync(args);

const fx = (name: string) => join(FIXTURE_DIR, name);
/** The tiny-mlp fixture's model and spec, and the same with its sample input. */
const TINY = ["--model", fx("tiny-mlp.onnx"), "--spec", fx("tiny-mlp.spec.json")];
const TINY_IN = [...TINY, "--input", fx("tiny-mlp.input.json")];

describe("omnitensor infer", () => {
  it("prints one JSON object with the canonical result and its hash", () => {
    const r = cli("infer", ...TINY_IN);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), [
      "outputHash",
      "canonical",
      "margin",
      "skip",
      "result",
      "provider",
      "ms",
    ]);
    assert.equal(out.result, "ok");
    assert.equal(out.provider, "cpu");
    assert.equal(out.skip, false);
    assert.match(out.outputHash as string, /^0x[0-9a-f]{64}$/);
    assert.match(out.canonical as string, /^\{"outputs":\[\{"name":"probs"/);
  });

  it("exits 0 with INVALID_INPUT and NON_FINITE results", () => {
    const bad = join(tmp, "bad.json");
    writeFileSync(bad, '{"inputs":{"x":{"type":"float32","dims":[1,4],"data":[1,2,3]}}}');
    const r = cli("infer", ...TINY, "--input", bad);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(out.result, "INVALID_INPUT");
    assert.equal(out.canonical, '{"error":"INVALID_INPUT"}');
    assert.equal(out.margin, null);
    assert.match(out.reason as string, /has 3 values, dims need 4/);
    const nan = join(tmp, "nan.json");
    writeFileSync(nan, '{"inputs":{"x":{"type":"float32","dims":[1,3],"data":[1,-1,2]}}}');
    const r2 = cli(
      "infer",
      "--model",
      fx("nan-log.onnx"),
      "--spec",
      fx("nan-log.spec.json"),
      "--input",
      nan,
      "--threads",
      "2",
    );
    assert.equal((JSON.parse(r2.stdout) as { result: string }).result, "NON_FINITE");
  });

  it("reads the input from stdin with --input -", () => {
    const r = cliWithStdin(readFileSync(fx("tiny-mlp.input.json"), "utf8"), "infer", ...TINY, "--input", "-");
    const file = cli("infer", ...TINY_IN);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (JSON.parse(r.stdout) as { outputHash: string }).outputHash,
      (JSON.parse(file.stdout) as { outputHash: string }).outputHash,
    );
  });

  it("gives the same hash as the engine for a real model", () => {
    const m = knownModel("silero-vad");
    const input = join(tmp, "vad.json");
    writeFileSync(input, m.sampleInput(1));
    const r = cli(
      "infer",
      "--model",
      m.path,
      "--spec",
      fx("silero-vad.spec.json"),
      "--input",
      input,
      "--sha256",
      m.sha256,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { result: string }).result, "ok");
  });

  it("exits 1 with a clear message for unreadable files, a malformed spec, a wrong hash and bad flags", () => {
    const spec = join(tmp, "bad-spec.json");
    writeFileSync(
      spec,
      '{"inputs":[{"name":"x","type":"float32","dims":["N",4]}],"outputs":[],"maxInputBytes":1}',
    );
    const cases: [string[], RegExp][] = [
      [
        [
          "--model",
          join(tmp, "none.onnx"),
          "--spec",
          fx("tiny-mlp.spec.json"),
          "--input",
          fx("tiny-mlp.input.json"),
        ],
        /cannot read model file .*none\.onnx: ENOENT/,
      ],
      [
        [
          "--model",
          fx("tiny-mlp.onnx"),
          "--spec",
          join(tmp, "none.json"),
          "--input",
          fx("tiny-mlp.input.json"),
        ],
        /cannot read spec file/,
      ],
      [
        ["--model", fx("tiny-mlp.onnx"), "--spec", spec, "--input", fx("tiny-mlp.input.json")],
        /outputs: must be a non-empty array.*execution: must be an object/,
      ],
      [[...TINY_IN, "--sha256", "0x" + "11".repeat(32)], /hash mismatch/],
      [TINY, /--input is required/],
      [[...TINY_IN, "--threads", "0"], /--threads: must be a positive integer/],
    ];
    for (const [args, re] of cases) {
      const r = cli("infer", ...args);
      assert.equal(r.code, 1, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, re);
    }
  });
});

describe("omnitensor model check", () => {
  it("passes a spec that fits", () => {
    const r = cli("model", "check", ...TINY, "--sha256", knownModel("tiny-mlp").sha256);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /OK \(batching up to 8\)/);
  });

  it("lists every problem and exits 1", () => {
    const spec = join(tmp, "wrong.json");
    writeFileSync(
      spec,
      JSON.stringify({
        inputs: [{ name: "x", type: "float32", dims: ["N", 4] }],
        outputs: [
          { name: "probs", rule: { op: "argmax" } },
          { name: "scores", rule: { op: "round", decimals: 2 } },
        ],
        execution: {
          runtime: "onnxruntime",
          version: "9.x",
          graphOptimizationLevel: "all",
          providers: ["cpu"],
        },
        maxInputBytes: 100,
      }),
    );
    const r = cli(
      "model",
      "check",
      "--model",
      fx("tiny-mlp.onnx"),
      "--spec",
      spec,
      "--sha256",
      "0x" + "22".repeat(32),
    );
    assert.equal(r.code, 1);
    assert.match(r.stdout, /3 problems/);
    assert.match(r.stdout, /sha256 is 0x56ae/);
    assert.match(r.stdout, /outputs\[1\]\.name: the model has no output "scores"/);
    assert.match(r.stdout, /execution\.version: "9\.x" does not admit/);
  });

  it("names the field of a malformed spec", () => {
    const spec = join(tmp, "dup.json");
    writeFileSync(spec, '{"inputs":[],"inputs":[]}');
    const r = cli("model", "check", "--model", fx("tiny-mlp.onnx"), "--spec", spec);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /duplicate key "inputs"/);
  });
});
