import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { hexToBytes, keccak256, recoverTypedDataAddress, toHex, type Hex } from "viem";
import {
  COMMIT_TYPES,
  commitDigest,
  commitmentOf,
  deriveSalt,
  openSealedOutput,
  outputHashOf,
  resultKeyOf,
  saltDigest,
  sealOutput,
  signCommit,
  taskManagerDomain,
} from "../../../workers/src/protocol/index.ts";
import {
  JSON_PATH,
  SOL_PATH,
  buildVectors,
  renderJson,
  renderSolidity,
  type ProtocolVectors,
} from "../../support/vectors.ts";
import { modelIdOf } from "../../../workers/src/sdk/registerModel.ts";

const vectors = JSON.parse(readFileSync(JSON_PATH, "utf8")) as ProtocolVectors;
const domain = { chainId: vectors.domain.chainId, verifyingContract: vectors.domain.verifyingContract };

describe("protocol vectors (test/vectors/protocol.json)", () => {
  it("are up to date with the generator, and so is the Solidity test", async () => {
    const fresh = await buildVectors();
    assert.equal(
      readFileSync(JSON_PATH, "utf8"),
      renderJson(fresh),
      `${JSON_PATH} is stale: run npx tsx scripts/gen-vector-test.ts`,
    );
    assert.equal(
      readFileSync(SOL_PATH, "utf8"),
      renderSolidity(fresh),
      `${SOL_PATH} is stale: run npx tsx scripts/gen-vector-test.ts`,
    );
  });

  it("hold enough cases to mean something", () => {
    assert.ok(vectors.commitments.length >= 5);
    assert.ok(vectors.salts.length >= 4);
    assert.ok(vectors.commits.length >= 4);
    assert.ok(vectors.sealed.length >= 4);
    assert.equal(vectors.domain.name, "OmniTensor TaskManager");
    assert.equal(vectors.domain.version, "1");
  });

  it("modelIdOf reproduces every model id; the owner is part of the id (PROTOCOL.md §9)", () => {
    assert.ok(vectors.modelIds.length >= 4);
    for (const m of vectors.modelIds) {
      assert.equal(keccak256(toHex(m.spec)), m.specHash, `spec hash of ${m.spec}`);
      assert.equal(modelIdOf(m.owner, m.onnxSha256, m.spec), m.modelId, `model id of ${m.owner}`);
    }
    const [a, b] = vectors.modelIds;
    assert.equal(a.onnxSha256, b.onnxSha256);
    assert.equal(a.spec, b.spec);
    assert.notEqual(a.owner, b.owner);
    assert.notEqual(a.modelId, b.modelId, "two owners of one (file, spec): two models");
  });

  it("commitmentOf reproduces every commitment", () => {
    for (const c of vectors.commitments)
      assert.equal(
        commitmentOf(BigInt(c.taskId), c.node, c.outputHash, c.salt),
        c.commitment,
        `task ${c.taskId}`,
      );
  });

  it("deriveSalt and saltDigest reproduce every salt, and the signature recovers to the node", async () => {
    for (const s of vectors.salts) {
      const taskId = BigInt(s.taskId);
      assert.equal(saltDigest(domain, taskId), s.digest);
      assert.equal(await deriveSalt(s.privateKey, domain, taskId), s.salt);
      assert.equal(keccak256(s.signature), s.salt, "salt = keccak256(r ‖ s ‖ v)");
      assert.ok(s.v === 27 || s.v === 28);
      assert.equal(
        await recoverTypedDataAddress({
          domain: taskManagerDomain(domain),
          types: { Salt: [{ name: "taskId", type: "uint256" }] },
          primaryType: "Salt",
          message: { taskId },
          signature: s.signature,
        }),
        s.node,
      );
    }
  });

  it("signCommit reproduces every Commit digest and signature", async () => {
    for (const c of vectors.commits) {
      const taskId = BigInt(c.taskId);
      const deadline = BigInt(c.deadline);
      assert.equal(keccak256(hexToBytes(c.sealedOutput)), c.sealedOutputHash);
      assert.equal(
        commitDigest(domain, {
          taskId,
          place: c.place,
          commitment: c.commitment,
          sealedOutputHash: c.sealedOutputHash,
          deadline,
        }),
        c.digest,
      );
      const signed = await signCommit({
        account: c.privateKey,
        domain,
        taskId,
        place: c.place,
        commitment: c.commitment,
        sealedOutput: c.sealedOutput,
        deadline,
      });
      assert.deepEqual(signed, {
        taskId,
        node: c.node,
        place: c.place,
        commitment: c.commitment,
        sealedOutput: c.sealedOutput,
        deadline,
        signature: c.signature,
      });
      const signer = await recoverTypedDataAddress({
        domain: taskManagerDomain(domain),
        types: COMMIT_TYPES,
        primaryType: "Commit",
        message: {
          taskId,
          place: c.place,
          commitment: c.commitment,
          sealedOutputHash: c.sealedOutputHash,
          deadline,
        },
        signature: c.signature,
      });
      assert.equal(signer, c.node);
    }
  });

  it("sealOutput reproduces every sealed output, and openSealedOutput opens it", () => {
    for (const v of vectors.sealed) {
      const taskId = BigInt(v.taskId);
      assert.equal(resultKeyOf(v.resultPrivateKey), v.resultKey);
      assert.equal(outputHashOf(v.canonical), v.outputHash);
      const sealed = sealOutput(v.resultKey, taskId, v.node, v.salt, v.canonical, {
        ephemeralSecretKey: v.ephemeralSecretKey,
        nonce: v.nonce,
      });
      assert.equal(sealed, v.sealed);
      assert.equal(sealed.slice(2 + 64, 2 + 64 + 48), v.nonce.slice(2), "nonce sits after the ephemeral key");
      const opened = openSealedOutput(v.resultPrivateKey, taskId, v.node, v.sealed as Hex);
      assert.equal(opened.salt, v.salt);
      assert.equal(new TextDecoder().decode(opened.canonical), v.canonical);
    }
  });
});
