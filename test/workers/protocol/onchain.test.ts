/**
 * The §7 encodings against the real TaskManager (in-process EVM, Ignition deployment): its
 * EIP-712 views equal commitDigest/saltDigest, a signCommit signature is accepted by
 * commitWithSig from a relayer, a swapped sealed output is refused, commitBatch skips a bad entry,
 * and a reveal with the derived salt passes the contract's commitment check.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { keccak256, parseEventLogs, toHex, type Abi, type Hex } from "viem";
import { taskManagerAbi } from "../../../workers/src/chain/abis.ts";
import {
  commitDigest,
  commitmentOf,
  deriveSalt,
  generateResultKey,
  outputHashOf,
  saltDigest,
  sealOutput,
  signCommit,
  type SignedCommit,
} from "../../../workers/src/protocol/index.ts";
import { createTask, registerModel } from "../../../workers/src/sdk/index.ts";
import { HOUR, OUT_A, TEST_INPUT, TEST_SPEC, deploySuite, devAccount } from "../sdk/suite.ts";

describe("§7 encodings against the real TaskManager", () => {
  let s: Awaited<ReturnType<typeof deploySuite>>;
  let modelId: Hex;
  const key = generateResultKey();

  before(async () => {
    s = await deploySuite({ computeNodes: [1, 2, 3], requester: 5 });
    ({ modelId } = await registerModel(await s.contextFor(0), {
      onnxSha256: keccak256(toHex("onnx")),
      uri: "ipfs://m",
      spec: TEST_SPEC,
    }));
  });

  const newTask = async (redundancy: number) => {
    const t = await createTask(await s.contextFor(5), {
      modelId,
      input: TEST_INPUT,
      reward: "5",
      redundancy,
      resultKey: key,
    });
    await s.networkHelpers.mine(2);
    return t.taskId;
  };

  const signed = async (
    index: number,
    taskId: bigint,
    canonical: string,
  ): Promise<SignedCommit & { salt: Hex }> => {
    const { key: nodeKey, address } = devAccount(index);
    const salt = await deriveSalt(nodeKey, s.domain, taskId);
    const sealedOutput = sealOutput(key.publicKey, taskId, address, salt, canonical);
    const commitment = commitmentOf(taskId, address, outputHashOf(canonical), salt);
    const deadline = (await s.publicClient.getBlock()).timestamp + HOUR;
    return {
      ...(await signCommit({
        account: nodeKey,
        domain: s.domain,
        taskId,
        place: 1,
        commitment,
        sealedOutput,
        deadline,
      })),
      salt,
    };
  };

  it("commitDigest and saltDigest equal the contract's views", async () => {
    for (const taskId of [1n, 99n, (1n << 256n) - 1n]) {
      assert.equal(await s.taskManager.read.saltDigest([taskId]), saltDigest(s.domain, taskId));
      const m = {
        taskId,
        place: Number(taskId % 3n) + 1,
        commitment: keccak256(toHex(`c${taskId}`)),
        sealedOutputHash: keccak256(toHex("sealed")),
        deadline: 123n,
      };
      assert.equal(
        await s.taskManager.read.commitDigest([
          m.taskId,
          m.place,
          m.commitment,
          m.sealedOutputHash,
          m.deadline,
        ]),
        commitDigest(s.domain, m),
      );
    }
  });

  it("commitWithSig accepts a signCommit signature relayed by another account; the derived salt reveals", async () => {
    const taskId = await newTask(1);
    const c = await signed(1, taskId, OUT_A);
    const { salt, ...struct } = c;
    await s.send(7, s.taskManager.address, taskManagerAbi as Abi, "commitWithSig", [struct]); // account 7 relays
    const rec = await s.taskManager.read.commitmentOf([taskId, c.node]);
    assert.equal(rec.commitment, c.commitment);
    await s.networkHelpers.time.increase(20n * HOUR);
    await s.send(7, s.taskManager.address, taskManagerAbi as Abi, "reveal", [
      taskId,
      c.node,
      outputHashOf(OUT_A),
      salt,
    ]);
    assert.equal((await s.taskManager.read.commitmentOf([taskId, c.node])).revealed, true);
  });

  it("a relayer cannot swap the sealed output, and commitBatch skips the bad entry but keeps the good one", async () => {
    const taskId = await newTask(2);
    const good = await signed(1, taskId, OUT_A);
    const bad = await signed(2, taskId, OUT_A);
    const swapped = {
      ...bad,
      sealedOutput: sealOutput(key.publicKey, taskId, bad.node, bad.salt, "garbage"),
    };
    const strip = ({ salt: _salt, ...x }: SignedCommit & { salt: Hex }) => x;
    await assert.rejects(
      s.send(7, s.taskManager.address, taskManagerAbi as Abi, "commitWithSig", [strip(swapped)]),
      /TaskManagerInvalidSigner/,
    );
    const w = await s.viem.getWalletClient(devAccount(7).address);
    const hash = await w.writeContract({
      address: s.taskManager.address,
      abi: taskManagerAbi,
      functionName: "commitBatch",
      args: [[strip(swapped), strip(good)]],
      account: w.account,
      chain: w.chain,
    });
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    const events = parseEventLogs({ abi: taskManagerAbi, logs: receipt.logs });
    const skipped = events.filter((e) => e.eventName === "CommitSkipped");
    const committed = events.filter((e) => e.eventName === "Committed");
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0].eventName === "CommitSkipped" && skipped[0].args.node, bad.node);
    assert.equal(committed.length, 1);
    assert.equal(committed[0].eventName === "Committed" && committed[0].args.node, good.node);
    assert.equal((await s.taskManager.read.commitmentOf([taskId, good.node])).commitment, good.commitment);
    assert.equal(
      (await s.taskManager.read.commitmentOf([taskId, bad.node])).commitment,
      `0x${"00".repeat(32)}`,
    );
  });
});
