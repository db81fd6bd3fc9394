import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeAbiParameters, keccak256, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  ProtocolEncodingError,
  commitmentOf,
  deriveSalt,
  normalizeSignature,
  saltFromSignature,
  signCommit,
  taskManagerDomain,
} from "../../../workers/src/protocol/index.ts";

const KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const account = privateKeyToAccount(KEY);
const domain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address };
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe("deriveSalt", () => {
  it("is deterministic and the same from a key or an account", async () => {
    const a = await deriveSalt(KEY, domain, 3n);
    assert.equal(await deriveSalt(account, domain, 3n), a);
    assert.equal(await deriveSalt(KEY, domain, 3n), a);
    assert.match(a, /^0x[0-9a-f]{64}$/);
  });

  it("differs per task, per chain, per TaskManager and per node", async () => {
    const base = await deriveSalt(KEY, domain, 3n);
    const variants = [
      await deriveSalt(KEY, domain, 4n),
      await deriveSalt(KEY, { ...domain, chainId: 1 }, 3n),
      await deriveSalt(
        KEY,
        { ...domain, verifyingContract: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" },
        3n,
      ),
      await deriveSalt("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a", domain, 3n),
    ];
    for (const v of variants) assert.notEqual(v, base);
    assert.equal(new Set(variants).size, variants.length);
  });

  it("names the bad field", async () => {
    await assert.rejects(
      deriveSalt(KEY, { ...domain, chainId: 0 }, 1n),
      (e: unknown) => e instanceof ProtocolEncodingError && e.field === "domain.chainId",
    );
    await assert.rejects(
      deriveSalt(KEY, { ...domain, verifyingContract: "0xdead" as Address }, 1n),
      (e: unknown) => e instanceof ProtocolEncodingError && e.field === "domain.verifyingContract",
    );
    await assert.rejects(
      deriveSalt("0x12" as Hex, domain, 1n),
      (e: unknown) => e instanceof ProtocolEncodingError && e.field === "privateKey",
    );
    await assert.rejects(
      deriveSalt(KEY, domain, 1n << 256n),
      (e: unknown) => e instanceof ProtocolEncodingError && e.field === "taskId",
    );
  });
});

describe("normalizeSignature / saltFromSignature", () => {
  const r = `0x${"11".repeat(32)}` as Hex;
  const lowS = 0x1234n;
  const pad = (x: bigint) => x.toString(16).padStart(64, "0");

  it("maps v 0/1 to 27/28", () => {
    assert.equal(normalizeSignature(`${r}${pad(lowS)}00`).v, 27);
    assert.equal(normalizeSignature(`${r}${pad(lowS)}01`).v, 28);
    assert.equal(normalizeSignature(`${r}${pad(lowS)}1c`).v, 28);
  });

  it("turns a high s into n − s and flips v, so both forms give one salt", () => {
    const high = normalizeSignature(`${r}${pad(N - lowS)}1b`);
    assert.equal(BigInt(high.s), lowS);
    assert.equal(high.v, 28);
    assert.equal(saltFromSignature(`${r}${pad(N - lowS)}1b`), saltFromSignature(`${r}${pad(lowS)}1c`));
  });

  it("refuses a signature that is not 65 bytes or has another v", () => {
    assert.throws(
      () => normalizeSignature(`${r}${pad(lowS)}`),
      (e: unknown) => e instanceof ProtocolEncodingError && e.field === "signature",
    );
    assert.throws(() => normalizeSignature(`${r}${pad(lowS)}05`), /v = 5/);
  });
});

describe("commitmentOf", () => {
  const outputHash = keccak256(toHex("output"));
  const salt = keccak256(toHex("salt"));

  it("is keccak256(abi.encode(uint256, address, bytes32, bytes32)) and binds every field", () => {
    const c = commitmentOf(7n, account.address, outputHash, salt);
    const expected = keccak256(
      encodeAbiParameters(
        [{ type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
        [7n, account.address, outputHash, salt],
      ),
    );
    assert.equal(c, expected);
    assert.equal(
      commitmentOf(
        7n,
        account.address.toLowerCase() as Address,
        outputHash.toUpperCase().replace("0X", "0x") as Hex,
        salt,
      ),
      c,
    );
    assert.notEqual(commitmentOf(8n, account.address, outputHash, salt), c);
    assert.notEqual(commitmentOf(7n, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", outputHash, salt), c);
    assert.notEqual(commitmentOf(7n, account.address, salt, outputHash), c);
  });

  it("names the bad field", () => {
    assert.throws(
      () => commitmentOf(1n, account.address, "0x12", salt),
      (e: unknown) => e instanceof ProtocolEncodingError && e.field === "outputHash",
    );
    assert.throws(
      () => commitmentOf(1n, account.address, outputHash, "0x"),
      (e: unknown) => e instanceof ProtocolEncodingError && e.field === "salt",
    );
    assert.throws(
      () => commitmentOf(1n, "nope" as Address, outputHash, salt),
      (e: unknown) => e instanceof ProtocolEncodingError && e.field === "node",
    );
    assert.throws(
      () => commitmentOf(-1n, account.address, outputHash, salt),
      (e: unknown) => e instanceof ProtocolEncodingError && e.field === "taskId",
    );
  });
});

describe("signCommit", () => {
  it("signs keccak256(sealedOutput) and returns the SignedCommit struct", async () => {
    const commitment = keccak256(toHex("c"));
    const sealed = "0xABCDEF" as Hex;
    const sc = await signCommit({
      account,
      domain,
      taskId: 2n,
      place: 1,
      commitment,
      sealedOutput: sealed,
      deadline: 100n,
    });
    assert.equal(sc.node, account.address);
    assert.equal(sc.sealedOutput, "0xabcdef");
    assert.equal(sc.taskId, 2n);
    assert.equal(sc.deadline, 100n);
    assert.match(sc.signature, /^0x[0-9a-f]{130}$/);
    // same inputs → same signature (RFC 6979); another sealed output → another signature
    const again = await signCommit({
      account: KEY,
      domain,
      taskId: 2n,
      place: 1,
      commitment,
      sealedOutput: new Uint8Array([0xab, 0xcd, 0xef]),
      deadline: 100n,
    });
    assert.equal(again.signature, sc.signature);
    const swapped = await signCommit({
      account,
      domain,
      taskId: 2n,
      place: 1,
      commitment,
      sealedOutput: "0xabcdee",
      deadline: 100n,
    });
    assert.notEqual(swapped.signature, sc.signature);
    // the place is signed: a seat signature is not a verifier's (PROTOCOL.md §4.5, L-1 of the review)
    const asVerifier = await signCommit({
      account,
      domain,
      taskId: 2n,
      place: 2,
      commitment,
      sealedOutput: sealed,
      deadline: 100n,
    });
    assert.equal(asVerifier.place, 2);
    assert.notEqual(asVerifier.signature, sc.signature);
    await assert.rejects(
      signCommit({ account, domain, taskId: 2n, place: 4, commitment, sealedOutput: sealed, deadline: 100n }),
      /place/,
    );
  });

  it("builds the domain with the spec's name and version", () => {
    assert.deepEqual(taskManagerDomain(domain), {
      name: "OmniTensor TaskManager",
      version: "1",
      chainId: 31337n,
      verifyingContract: domain.verifyingContract,
    });
  });
});
