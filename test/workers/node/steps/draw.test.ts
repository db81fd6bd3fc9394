/** The draw step against a fake chain: when drawVerifiers is sent, and which reverts are harmless. */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { draw } from "../../../../workers/src/node/steps/draw.ts";
import { RescheduleError } from "../../../../workers/src/node/queues.ts";
import { OTHER, closeModels, stepContext, taskOf } from "./fake.ts";

const task = taskOf({ status: 1, seatDeadline: 2000n, verifyDeadline: 4000n, seatHolders: [OTHER] });
const job = { step: "draw", taskId: "7" } as const;

describe("steps/draw", () => {
  const open: { done(): Promise<void> }[] = [];
  async function setup(now: bigint) {
    const s = await stepContext({ roles: ["verifier"], now });
    open.push(s);
    s.chain.taskAt = () => task;
    return s;
  }
  afterEach(async () => {
    for (const s of open.splice(0)) await s.done();
  });
  after(closeModels);

  it("before the seat deadline: rescheduled to it; at it: drawVerifiers", async () => {
    const s = await setup(1000n);
    await assert.rejects(draw(s.ctx, job, s.log), (e) => e instanceof RescheduleError && e.dueAt === 2000n);
    s.setNow(2000n);
    assert.deepEqual(await draw(s.ctx, job, s.log), []);
    assert.deepEqual(s.tx.calls("drawVerifiers")[0]?.args, [7n]);
  });

  it("nothing to draw: already asked, no seat, final, or past the verify deadline", async () => {
    const s = await setup(2000n);
    for (const t of [
      { ...task, verifierSeedBlock: 5n },
      { ...task, seatHolders: [] },
      { ...task, status: 7 },
    ]) {
      s.chain.taskAt = () => t;
      assert.deepEqual(await draw(s.ctx, job, s.log), []);
    }
    s.chain.taskAt = () => task;
    s.setNow(4000n);
    assert.deepEqual(await draw(s.ctx, job, s.log), []);
    assert.equal(s.tx.sent.length, 0);
  });

  it("AlreadyDrawn and the other harmless reverts end it; TooEarly reschedules; others are thrown", async () => {
    const s = await setup(2000n);
    for (const name of [
      "TaskManagerAlreadyDrawn",
      "TaskManagerNoSeatCommitted",
      "TaskManagerTooLate",
      "TaskManagerNotOpen",
    ] as const) {
      s.tx.reverts.set("drawVerifiers", name);
      assert.deepEqual(await draw(s.ctx, job, s.log), [], name);
    }
    s.tx.reverts.set("drawVerifiers", "TaskManagerTooEarly");
    await assert.rejects(draw(s.ctx, job, s.log), RescheduleError);
    s.tx.reverts.set("drawVerifiers", "other");
    await assert.rejects(draw(s.ctx, job, s.log), /would revert/);
  });
});
