import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  findDuplicateKey,
  parseStrictJson,
  parseStrictJsonBytes,
  StrictJsonError,
} from "../../../workers/src/inference/json-strict.ts";

describe("strict JSON", () => {
  it("parses plain JSON like JSON.parse", () => {
    const text = '{"a":[1,2,{"b":"x\\"y"}],"c":{"d":null,"e":true}}';
    assert.deepEqual(parseStrictJson(text), JSON.parse(text));
  });

  it("rejects a duplicate key at the top level", () => {
    assert.throws(
      () => parseStrictJson('{"a":1,"a":2}'),
      (e: unknown) => e instanceof StrictJsonError && /duplicate key "a"/.test(e.message),
    );
  });

  it("rejects a duplicate key in a nested object, including one spelled with escapes", () => {
    assert.equal(findDuplicateKey('{"x":{"k":1,"\\u006b":2}}')?.key, "k");
    assert.equal(findDuplicateKey('{"inputs":{"x":{"type":"float32","type":"int64"}}}')?.key, "type");
  });

  it("allows the same key in sibling objects and in arrays of objects", () => {
    assert.equal(findDuplicateKey('[{"a":1},{"a":2}]'), null);
    assert.equal(findDuplicateKey('{"p":{"a":1},"q":{"a":2}}'), null);
  });

  it("does not take string values or strings with escaped quotes for keys", () => {
    assert.equal(findDuplicateKey('{"a":"a","b":["a","a"],"c":"\\"a\\"","d":"\\\\"}'), null);
    assert.equal(findDuplicateKey('{"a\\\\":1,"a\\\\":2}')?.key, "a\\");
  });

  it("rejects malformed JSON, invalid UTF-8 and a byte order mark", () => {
    assert.throws(() => parseStrictJson('{"a":1,}'), /malformed JSON/);
    assert.throws(() => parseStrictJsonBytes(Uint8Array.from([0x7b, 0xff, 0x7d])), /UTF-8/);
    assert.throws(() => parseStrictJsonBytes(new TextEncoder().encode("\ufeff{}")), /byte order mark/);
  });
});
