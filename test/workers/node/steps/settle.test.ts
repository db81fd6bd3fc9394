/** The settle step against a fake chain: liquidate, claim, deliver, withdraw, and their harmless reverts. */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { toBytes, toHex } from "viem";
import { settle } from "../../../../workers/src/node/steps/settle.ts";
import { computeOutput, record } from "../../../../workers/src/node/steps/output.ts";
import type { SettleJob } from "../../../../workers/src/node/jobs.ts";
import { generateResultKey } from "../../../../workers/src/protocol/index.ts";
import { ME, OTHER, closeModels, commitmentOf, stepContext, taskOf } from "./fake.ts";

const key = generateResultKey();
const liq: SettleJob = { step: "settle", taskId: "7", action: "liquidate", node: OTHER };
const act = (action: "claim" | "deliver" | "withdraw"): SettleJob => ({
  step: "settle",
  taskId: "7",
  action,
});

describe("steps/settle", () => {
  const open: { done(): Promise<void> }[] = [];
  async function setup() {
    const s = await stepContext();
    open.push(s);
    await s.seeTask(7n, key.publicKey);
    return s;
  }
  afterEach(async () => {
    for (const s of open.splice(0)) await s.done();
  });
  after(closeModels);

  it("liquidate: only a liquidatable node; then a claim (this node committed) with its own id", async () => {
    const s = await setup();
    s.chain.taskAt = () => taskOf({ status: 5, liquidationDeadline: 5000n });
    assert.deepEqual(await settle(s.ctx, liq, s.log), []);
    assert.equal(s.tx.sent.length, 0);
    s.chain.liquidatable.add(OTHER.toLowerCase());
    s.chain.commitments.set(ME.toLowerCase(), commitmentOf({ commitment: `0x${"01".repeat(32)}` }));
    const next = await settle(s.ctx, liq, s.log);
    assert.deepEqual(s.tx.calls("liquidate")[0]?.args, [7n, OTHER]);
    assert.deepEqual(next, [
      {
        data: { step: "settle", taskId: "7", action: "claim" },
        suffix: `claim-after-${OTHER.toLowerCase()}`,
      },
    ]);
    s.tx.reverts.set("liquidate", "TaskManagerAlreadyLiquidated");
    assert.deepEqual(await settle(s.ctx, liq, s.log), [], "someone was first: harmless");
    s.tx.reverts.set("liquidate", "other");
    await assert.rejects(settle(s.ctx, liq, s.log), /would revert/);
  });

  it("liquidate: never after Task.liquidationDeadline (the contract would refuse: TooLate)", async () => {
    const s = await setup();
    s.chain.liquidatable.add(OTHER.toLowerCase());
    s.chain.taskAt = () => taskOf({ status: 5, liquidationDeadline: 1000n }); // now = 1000
    assert.deepEqual(await settle(s.ctx, liq, s.log), []);
    assert.equal(s.tx.sent.length, 0);
    s.chain.taskAt = () => taskOf({ status: 5, liquidationDeadline: 1001n });
    s.tx.reverts.set("liquidate", "TaskManagerTooLate"); // the block came after the deadline
    assert.deepEqual(await settle(s.ctx, liq, s.log), [], "TooLate is harmless");
  });

  it("claim: one claimBatch for every settled task this node has pending, crediting itself; then a withdrawal", async () => {
    const s = await setup();
    const status = new Map<bigint, number>([
      [7n, 5],
      [8n, 2],
      [9n, 6],
    ]);
    s.chain.task = (id: bigint) => Promise.resolve(taskOf({ status: status.get(id) ?? 0 }));
    await s.redis.sadd(s.ctx.key("claims"), "8", "9", "11");
    const [next] = await settle(s.ctx, act("claim"), s.log);
    assert.equal(next?.data.step === "settle" && next.data.action, "withdraw");
    assert.deepEqual(s.tx.calls("claimBatch")[0]?.args, [
      [7n, 9n],
      [ME, ME],
    ]);
    assert.equal(s.tx.calls("claim").length, 0, "no single claims");
    assert.deepEqual(
      await s.redis.smembers(s.ctx.key("claims")),
      ["8"],
      "the unsettled task stays; the unknown one is dropped",
    );
    status.set(7n, 2); // a claim job whose task is not settled: nothing sent
    assert.deepEqual(await settle(s.ctx, act("claim"), s.log), []);
    assert.equal(s.tx.calls("claimBatch").length, 1);
    status.set(8n, 5);
    status.set(7n, 5);
    await settle(s.ctx, act("claim"), s.log);
    assert.deepEqual(s.tx.calls("claimBatch")[1]?.args, [
      [7n, 8n],
      [ME, ME],
    ]);
  });

  it("deliver: the canonical bytes, only when its result is the accepted one", async () => {
    const s = await setup();
    const out = (await computeOutput(s.ctx, await record(s.ctx, 7n), s.log))!;
    s.chain.taskAt = () => taskOf({ status: 5, acceptedOutputHash: `0x${"00".repeat(31)}01` });
    await settle(s.ctx, act("deliver"), s.log);
    assert.equal(s.tx.sent.length, 0, "another result was accepted");
    s.chain.taskAt = () => taskOf({ status: 5, acceptedOutputHash: out.outputHash });
    await settle(s.ctx, act("deliver"), s.log);
    assert.deepEqual(s.tx.calls("deliver")[0]?.args, [7n, toHex(toBytes(out.canonical))]);
    s.chain.taskAt = () => taskOf({ status: 5, acceptedOutputHash: out.outputHash, delivered: true });
    await settle(s.ctx, act("deliver"), s.log);
    assert.equal(s.tx.calls("deliver").length, 1, "delivered already");
  });

  it("withdraw: only with a credit", async () => {
    const s = await setup();
    await settle(s.ctx, act("withdraw"), s.log);
    assert.equal(s.tx.sent.length, 0);
    s.chain.credit = 5n;
    await settle(s.ctx, act("withdraw"), s.log);
    assert.equal(s.tx.calls("withdraw").length, 1);
  });
});
