import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { inputFileEncoding, taskInputBytes } from "../../../workers/src/cli/input-file.ts";
import { encodeSafetensors } from "../../../workers/src/sdk/safetensors.ts";

describe("CLI task input files: the encoding from the extension, else the first byte", () => {
  const st = encodeSafetensors([{ name: "x", type: "float32", dims: [1], data: [1] }]);
  const json = new TextEncoder().encode('\n {"inputs":{}}\n');

  it("picks safetensors by extension or by a first byte other than { or white space", () => {
    assert.equal(inputFileEncoding("a.safetensors", json), "safetensors");
    assert.equal(inputFileEncoding("a.json", st), "json");
    assert.equal(inputFileEncoding("a.bin", st), "safetensors");
    assert.equal(inputFileEncoding("-", json), "json");
    assert.equal(inputFileEncoding("-", new Uint8Array(0)), "json");
  });

  it("sends JSON without the white space around it and safetensors byte for byte", () => {
    assert.equal(new TextDecoder().decode(taskInputBytes("in", json).bytes), '{"inputs":{}}');
    assert.deepEqual(taskInputBytes("in", st).bytes, st);
  });
});
