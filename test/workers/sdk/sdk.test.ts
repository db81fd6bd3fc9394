/**
 * The requester SDK against a real in-process EVM with the project's Ignition deployment: nodes
 * commit with the real §7 encodings, the SDK opens and checks their sealed outputs, reveals for
 * a late node, finalizes, delivers to a consumer contract, reports Unresolved tasks, disputes on
 * disagreement, and refuses bad requests with typed errors.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { keccak256, parseEther, toHex, zeroAddress, type Hex } from "viem";
import {
  ContractRevertError,
  TxRevertError,
  InsufficientFundsError,
  OmniTensorError,
  ProtocolEncodingError,
  TaskUnresolvedError,
  UnknownModelError,
  buildTaskRequest,
  cancel,
  createTask,
  creditOf,
  getTask,
  modelIdOf,
  readCommitments,
  registerModel,
  waitForResult,
  watchCommitments,
  withdraw,
  type CommitmentReport,
  type DisputeReason,
  type OmniTensorContext,
  type TaskProgress,
} from "../../../workers/src/sdk/index.ts";
import { HOUR, OUT_A, OUT_B, TEST_INPUT, TEST_SPEC, deploySuite, devAccount, until } from "./suite.ts";

const ONNX_SHA = keccak256(toHex("an onnx file"));

describe("requester SDK on a real EVM", () => {
  let s: Awaited<ReturnType<typeof deploySuite>>;
  let ctx: OmniTensorContext;
  let modelId: Hex;

  before(async () => {
    s = await deploySuite({ computeNodes: [1, 2, 3], requester: 5 });
    ctx = await s.contextFor(5);
    const owner = await s.contextFor(0);
    const reg = await registerModel(owner, {
      onnxSha256: ONNX_SHA,
      uri: "https://example.org/m.onnx",
      spec: TEST_SPEC,
      royaltyBps: 100,
    });
    modelId = reg.modelId;
  });

  it("registerModel returns the id that the registry computes", async () => {
    const owner = devAccount(0).address;
    assert.equal(modelId, modelIdOf(owner, ONNX_SHA, TEST_SPEC));
    assert.equal(modelId, await s.registry.read.modelIdOf([owner, ONNX_SHA, TEST_SPEC]));
    assert.equal((await s.registry.read.getModel([modelId])).owner, owner);
    assert.equal(await s.registry.read.exists([modelId]), true);
    const m = await s.registry.read.getModel([modelId]);
    assert.equal(m.royaltyBps, 100);
    assert.equal(m.spec, TEST_SPEC);
  });

  it("the owner is part of the model id: the same file and spec from another account is another model", async () => {
    const other = await s.contextFor(7);
    const copy = await registerModel(other, {
      onnxSha256: ONNX_SHA,
      uri: "https://squat.example/m.onnx",
      spec: TEST_SPEC,
    });
    assert.notEqual(copy.modelId, modelId, "two models");
    assert.equal(copy.modelId, modelIdOf(devAccount(7).address, ONNX_SHA, TEST_SPEC));
    assert.equal((await s.registry.read.getModel([copy.modelId])).owner, devAccount(7).address);
    assert.equal((await s.registry.read.getModel([modelId])).royaltyBps, 100, "the first model is untouched");
    await assert.rejects(
      registerModel(other, { onnxSha256: ONNX_SHA, uri: "https://squat.example/m.onnx", spec: TEST_SPEC }),
      /ModelRegistryAlreadyRegistered/,
      "the same owner twice",
    );
    assert.throws(() => modelIdOf("0x1234" as Hex, ONNX_SHA, TEST_SPEC), /owner/);
  });

  it("createTask escrows the reward in one transaction (permit) and returns a usable result key", async () => {
    const nonceBefore = await s.publicClient.getTransactionCount({ address: s.requester });
    const tmBefore = await s.token.read.balanceOf([s.taskManager.address]);
    const t = await createTask(ctx, { modelId, input: TEST_INPUT, reward: "5", redundancy: 2 });
    assert.equal(
      await s.publicClient.getTransactionCount({ address: s.requester }),
      nonceBefore + 1,
      "one transaction",
    );
    assert.equal((await s.token.read.balanceOf([s.taskManager.address])) - tmBefore, parseEther("5"));
    const task = await getTask(ctx, t.taskId);
    assert.equal(task.status, "Seating");
    assert.equal(task.resultKey, t.resultKey.publicKey);
    assert.equal(task.inputHash, keccak256(toHex(JSON.stringify(TEST_INPUT))));
    assert.equal(task.redundancy, 2);
    assert.equal(task.requester, s.requester);
  });

  it("createTask without permit approves then creates (two transactions)", async () => {
    const nonceBefore = await s.publicClient.getTransactionCount({ address: s.requester });
    const t = await createTask(ctx, {
      modelId,
      input: JSON.stringify(TEST_INPUT),
      reward: parseEther("2"),
      permit: false,
    });
    assert.equal(await s.publicClient.getTransactionCount({ address: s.requester }), nonceBefore + 2);
    assert.equal((await getTask(ctx, t.taskId)).reward, parseEther("2"));
  });

  it("follows a task: watches commitments, reveals for a late node, finalizes and delivers to the consumer", async () => {
    const consumer = await s.deployConsumer();
    const t = await createTask(ctx, {
      modelId,
      input: TEST_INPUT,
      reward: "5",
      redundancy: 2,
      callback: consumer,
      callbackGasLimit: 300_000,
    });
    const seen: CommitmentReport[] = [];
    const unwatch = watchCommitments(ctx, {
      taskId: t.taskId,
      resultPrivateKey: t.resultKey.privateKey,
      onCommitment: (r) => {
        seen.push(r);
      },
      pollingIntervalMs: 10,
    });
    await s.networkHelpers.mine(2); // the seat seed is known from block b + 2
    await s.nodeCommit(1, t.taskId, OUT_A, t.resultKey.publicKey);
    await s.nodeCommit(2, t.taskId, OUT_A, t.resultKey.publicKey);
    await until(() => seen.length === 2, "two commitments");
    unwatch();
    for (const r of seen) {
      assert.equal(r.ok, true, `${r.node}: ${r.problem}`);
      assert.equal(r.canonicalText, OUT_A);
      assert.equal(r.outputHash, keccak256(toHex(OUT_A)));
      assert.equal(r.place, 1);
    }
    assert.deepEqual(
      new Set(seen.map((r) => r.node)),
      new Set([devAccount(1).address, devAccount(2).address]),
    );

    const progress: TaskProgress[] = [];
    const done = waitForResult(ctx, t.taskId, {
      resultPrivateKey: t.resultKey.privateKey,
      onProgress: (p) => progress.push(p),
      pollIntervalMs: 10,
    });
    await s.networkHelpers.time.increase(20n * HOUR); // reveal window opens at createdAt + commitWindow
    await s.nodeReveal(1, t.taskId, OUT_A); // node 2 stays silent
    await s.networkHelpers.time.increase(3n * HOUR); // past the middle of the reveal window
    await until(
      async () => (await s.taskManager.read.commitmentOf([t.taskId, devAccount(2).address])).revealed,
      "the SDK's reveal for node 2",
    );
    await s.networkHelpers.time.increase(2n * HOUR); // past revealDeadline: the SDK finalizes and delivers
    const result = await done;

    assert.equal(result.outputText, OUT_A);
    assert.equal(result.outputHash, keccak256(toHex(OUT_A)));
    assert.equal(result.n, 2);
    assert.equal(result.m, 0);
    assert.equal(result.delivered, true);
    const read = (functionName: "lastTaskId" | "lastOutput") =>
      s.publicClient.readContract({ address: consumer, abi: s.consumerAbi, functionName });
    assert.equal(await read("lastTaskId"), t.taskId);
    assert.equal(await read("lastOutput"), toHex(OUT_A));
    const statuses = progress.map((p) => p.status);
    for (const st of ["Seating", "Revealing", "Finalized"])
      assert.ok(statuses.includes(st as TaskProgress["status"]), `progress saw ${st}`);
    assert.ok(
      progress.some((p) => p.message.includes(`revealed for late node ${devAccount(2).address}`)),
      "reported the late reveal",
    );
    assert.ok(
      progress.some((p) => p.message.includes("delivered")),
      "reported the delivery",
    );
  });

  it("reports bad sealed outputs: not sealed to the key, and not matching the commitment", async () => {
    const t = await createTask(ctx, { modelId, input: TEST_INPUT, reward: "5", redundancy: 3 });
    await s.networkHelpers.mine(2);
    await s.nodeCommit(1, t.taskId, OUT_A, t.resultKey.publicKey);
    await s.nodeCommit(2, t.taskId, OUT_A, t.resultKey.publicKey, "wrong-key");
    await s.nodeCommit(3, t.taskId, OUT_A, t.resultKey.publicKey, "wrong-commitment");
    const reports = await readCommitments(ctx, {
      taskId: t.taskId,
      resultPrivateKey: t.resultKey.privateKey,
    });
    const byNode = new Map(reports.map((r) => [r.node, r]));
    assert.equal(byNode.get(devAccount(1).address)?.ok, true);
    assert.equal(byNode.get(devAccount(2).address)?.problem, "DECRYPT_FAILED");
    assert.equal(byNode.get(devAccount(2).address)?.canonical, undefined);
    assert.equal(byNode.get(devAccount(3).address)?.problem, "COMMITMENT_MISMATCH");
    assert.equal(byNode.get(devAccount(3).address)?.canonicalText, OUT_A);
  });

  it("disputes when the outputs disagree (autoDispute), escrowing a bond equal to the reward", async () => {
    const t = await createTask(ctx, { modelId, input: TEST_INPUT, reward: "5", redundancy: 2 });
    await s.networkHelpers.mine(2);
    await s.nodeCommit(1, t.taskId, OUT_A, t.resultKey.publicKey);
    await s.nodeCommit(2, t.taskId, OUT_B, t.resultKey.publicKey);
    const before = await s.token.read.balanceOf([s.requester]);
    await s.networkHelpers.time.increase(5n * HOUR); // disputes open at the end of the seat window
    const stop = new AbortController();
    const progress: string[] = [];
    const done = waitForResult(ctx, t.taskId, {
      resultPrivateKey: t.resultKey.privateKey,
      autoDispute: true,
      pollIntervalMs: 10,
      signal: stop.signal,
      onProgress: (p) => progress.push(p.message),
    });
    await until(async () => (await getTask(ctx, t.taskId)).disputed, "the dispute");
    stop.abort(new Error("test done"));
    await assert.rejects(done, /test done/);
    const task = await getTask(ctx, t.taskId);
    assert.equal(task.disputeBond, parseEther("5"));
    assert.equal(before - (await s.token.read.balanceOf([s.requester])), parseEther("5"));
    assert.ok(progress.some((m) => m.includes("disputed")));
  });

  it("disputes when one sealed output does not decrypt though all that opened agree, and names its node (§8)", async () => {
    const t = await createTask(ctx, { modelId, input: TEST_INPUT, reward: "5", redundancy: 2 });
    await s.networkHelpers.mine(2);
    await s.nodeCommit(1, t.taskId, OUT_A, t.resultKey.publicKey);
    await s.nodeCommit(2, t.taskId, OUT_A, t.resultKey.publicKey, "wrong-key");
    await s.networkHelpers.time.increase(5n * HOUR);
    const stop = new AbortController();
    const progress: string[] = [];
    let named: DisputeReason[] = [];
    const done = waitForResult(ctx, t.taskId, {
      resultPrivateKey: t.resultKey.privateKey,
      autoDispute: true,
      pollIntervalMs: 10,
      signal: stop.signal,
      onProgress: (p) => progress.push(p.message),
      onDispute: (reasons) => (named = reasons),
    });
    await until(async () => (await getTask(ctx, t.taskId)).disputed, "the dispute");
    await until(async () => named.length > 0, "onDispute");
    stop.abort(new Error("test done"));
    await assert.rejects(done, /test done/);
    assert.deepEqual(
      named.map((r) => [r.node, r.problem]),
      [[devAccount(2).address, "DECRYPT_FAILED"]],
    );
    assert.ok(
      progress.some((m) => m.includes(`node ${devAccount(2).address}'s sealed output did not decrypt`)),
      "the progress line names the node",
    );
  });

  it("an Unresolved task throws TaskUnresolvedError saying the escrow can be withdrawn, and withdraw pays it", async () => {
    const t = await createTask(ctx, { modelId, input: TEST_INPUT, reward: "3", redundancy: 1 });
    await s.networkHelpers.mine(2);
    await s.nodeCommit(1, t.taskId, OUT_A, t.resultKey.publicKey); // and never reveals
    await s.networkHelpers.time.increase(25n * HOUR);
    await withdraw(ctx); // start from zero credit
    await assert.rejects(
      waitForResult(ctx, t.taskId, {
        resultPrivateKey: t.resultKey.privateKey,
        revealForLateNodes: false,
        pollIntervalMs: 10,
      }),
      (e: unknown) => {
        assert.ok(e instanceof TaskUnresolvedError && e instanceof OmniTensorError);
        assert.equal(e.code, "TASK_UNRESOLVED");
        assert.match(e.message, /no node revealed/);
        assert.match(e.message, /withdraw/);
        return true;
      },
    );
    assert.equal((await getTask(ctx, t.taskId)).status, "Unresolved");
    const credit = await creditOf(ctx, s.requester);
    assert.equal(credit, parseEther("3"), "the whole escrow is credited back");
    const before = await s.token.read.balanceOf([s.requester]);
    const { amount } = await withdraw(ctx);
    assert.equal(amount, parseEther("3"));
    assert.equal((await s.token.read.balanceOf([s.requester])) - before, parseEther("3"));
    assert.equal((await withdraw(ctx)).amount, 0n, "a second withdraw finds nothing");
  });

  it("refuses bad requests with typed errors that name the problem", async () => {
    await assert.rejects(
      createTask(ctx, { modelId: keccak256(toHex("nope")), input: TEST_INPUT, reward: "5" }),
      UnknownModelError,
    );
    const poor = await s.contextFor(9);
    await assert.rejects(createTask(poor, { modelId, input: TEST_INPUT, reward: "5" }), (e: unknown) => {
      assert.ok(e instanceof InsufficientFundsError);
      assert.equal(e.asset, "OMNIT");
      assert.match(e.message, /holds 0 OMNIT but the task's reward needs 5 OMNIT/);
      return true;
    });
    await assert.rejects(
      createTask(ctx, { modelId, input: TEST_INPUT, reward: "0.0000001" }),
      (e: unknown) => {
        assert.ok(e instanceof ProtocolEncodingError);
        assert.equal(e.field, "reward");
        return true;
      },
    );
    // OMNIT but no native coin for gas
    const broke = await s.contextFor(11);
    await s.send(0, s.token.address, s.omniTokenAbi, "transfer", [devAccount(11).address, parseEther("10")]);
    await s.drain(11);
    await assert.rejects(createTask(broke, { modelId, input: TEST_INPUT, reward: "5" }), (e: unknown) => {
      assert.ok(e instanceof InsufficientFundsError, String(e));
      assert.equal(e.asset, "gas");
      assert.equal(e.code, "INSUFFICIENT_GAS");
      assert.match(e.message, /has 0 of the native coin, not enough gas for createTaskWithPermit/);
      return true;
    });
    const t = await createTask(ctx, { modelId, input: TEST_INPUT, reward: "1" });
    await assert.rejects(cancel(ctx, t.taskId), (e: unknown) => {
      assert.ok(e instanceof ContractRevertError);
      assert.ok(e instanceof TxRevertError, "one revert class for the node and the SDK");
      assert.ok(e instanceof OmniTensorError);
      assert.equal(e.errorName, "TaskManagerTooEarly");
      assert.equal(e.code, "TX_REVERT");
      assert.equal(e.retryable, false);
      assert.match(e.shortMessage, /^cancel would revert: TaskManagerTooEarly/);
      return true;
    });
    const fields: [string, () => unknown][] = [
      ["reward", () => buildTaskRequest({ modelId, input: "{}", reward: "lots" }, ONNX_SHA)],
      [
        "callbackGasLimit",
        () => buildTaskRequest({ modelId, input: "{}", reward: "1", callback: s.requester }, ONNX_SHA),
      ],
      ["inputHash", () => buildTaskRequest({ modelId, inputURI: "ipfs://x", reward: "1" }, ONNX_SHA)],
      ["input", () => buildTaskRequest({ modelId, reward: "1" }, ONNX_SHA)],
      ["redundancy", () => buildTaskRequest({ modelId, input: "{}", reward: "1", redundancy: 0 }, ONNX_SHA)],
      ["modelId", () => buildTaskRequest({ modelId: "0x12", input: "{}", reward: "1" }, ONNX_SHA)],
    ];
    for (const [field, fn] of fields)
      assert.throws(
        fn,
        (e: unknown) => e instanceof ProtocolEncodingError && e.field === field,
        `field ${field}`,
      );
    assert.equal(buildTaskRequest({ modelId, input: "{}", reward: "1" }, ONNX_SHA).callback, zeroAddress);
  });
});
