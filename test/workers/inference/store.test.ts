import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { AddressInfo } from "node:net";
import { ModelFetchError, ModelHashMismatchError } from "../../../workers/src/inference/errors.ts";
import { ModelStore, normalizeSha256 } from "../../../workers/src/inference/runtime/store.ts";
import { InferenceEngine } from "../../../workers/src/inference/runtime/engine.ts";
import { knownModel } from "../../support/models.ts";

const tiny = knownModel("tiny-mlp");
const bytes = readFileSync(tiny.path);
const WRONG = "0x" + "ab".repeat(32);

describe("ModelStore", () => {
  let dir: string;
  let server: Server;
  let base: string;
  let hits = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "omnit-store-"));
    server = createServer((req, res) => {
      hits++;
      if (req.url === "/tiny.onnx") res.end(bytes);
      else {
        res.statusCode = 404;
        res.end("no");
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fetches a plain path and a file:// URI into <dir>/<sha256>.onnx", async () => {
    const store = new ModelStore({ dir: join(dir, "a") });
    const p1 = await store.get(tiny.path, tiny.sha256);
    assert.equal(p1, join(dir, "a", `${tiny.sha256.slice(2)}.onnx`));
    assert.deepEqual(readFileSync(p1), bytes);
    const store2 = new ModelStore({ dir: join(dir, "b") });
    assert.deepEqual(
      readFileSync(
        await store2.get(pathToFileURL(tiny.path).href, tiny.sha256.toUpperCase().replace("0X", "0x")),
      ),
      bytes,
    );
  });

  it("fetches over HTTP once and then serves the verified cache", async () => {
    const store = new ModelStore({ dir: join(dir, "c") });
    hits = 0;
    const [p1, p2] = await Promise.all([
      store.get(`${base}/tiny.onnx`, tiny.sha256),
      store.get(`${base}/tiny.onnx`, tiny.sha256),
    ]);
    assert.equal(p1, p2);
    assert.equal(hits, 1);
    await store.get(`${base}/tiny.onnx`, tiny.sha256);
    assert.equal(hits, 1);
    // A new store (a restarted node) re-hashes the cached file instead of fetching.
    await new ModelStore({ dir: join(dir, "c") }).get(`${base}/tiny.onnx`, tiny.sha256);
    assert.equal(hits, 1);
  });

  it("refuses a hash mismatch, naming expected and actual, and keeps no file", async () => {
    const store = new ModelStore({ dir: join(dir, "d") });
    await assert.rejects(store.get(`${base}/tiny.onnx`, WRONG), (e: unknown) => {
      assert.ok(e instanceof ModelHashMismatchError);
      assert.equal(e.expected, WRONG);
      assert.equal(e.actual, tiny.sha256);
      assert.match(e.message, new RegExp(`expected sha256 ${WRONG}, got ${tiny.sha256}`));
      return true;
    });
    assert.deepEqual(readdirSync(join(dir, "d")), []);
  });

  it("replaces a corrupted cached file", async () => {
    const sub = join(dir, "e");
    const store = new ModelStore({ dir: sub });
    const p = await store.get(tiny.path, tiny.sha256);
    writeFileSync(p, "garbage");
    const fresh = new ModelStore({ dir: sub });
    assert.deepEqual(readFileSync(await fresh.get(tiny.path, tiny.sha256)), bytes);
  });

  it("reports HTTP errors, missing files, unknown schemes, bad hashes and the size limit", async () => {
    const store = new ModelStore({ dir: join(dir, "f") });
    await assert.rejects(
      store.get(`${base}/missing.onnx`, tiny.sha256),
      (e: unknown) => e instanceof ModelFetchError && /HTTP 404/.test(e.message),
    );
    await assert.rejects(store.get("/nonexistent/model.onnx", tiny.sha256), /no such file/);
    await assert.rejects(store.get("ipfs://Qm123", tiny.sha256), /unsupported URI scheme/);
    assert.throws(() => normalizeSha256("0x1234"), /not 32 bytes of hex/);
    const small = new ModelStore({ dir: join(dir, "g"), maxBytes: 100 });
    await assert.rejects(small.get(tiny.path, tiny.sha256), /larger than 100 bytes/);
    assert.deepEqual(readdirSync(join(dir, "g")), []);
  });

  it("lets the engine load a model by URI and hash", async () => {
    const engine = new InferenceEngine({ store: new ModelStore({ dir: join(dir, "h") }) });
    const m = await engine.load(tiny.specJson, { uri: `${base}/tiny.onnx`, sha256: tiny.sha256 });
    assert.equal(m.sha256, tiny.sha256);
    assert.equal((await m.infer(tiny.sampleInput())).result, "ok");
    await assert.rejects(
      engine.load(tiny.specJson, { uri: `${base}/tiny.onnx`, sha256: WRONG }),
      ModelHashMismatchError,
    );
    await engine.close();
  });
});
