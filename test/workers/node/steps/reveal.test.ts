/** The reveal step against a fake chain: the window, the derived salt, a lost or stale cache, harmless reverts. */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { UnrecoverableError } from "bullmq";
import { reveal } from "../../../../workers/src/node/steps/reveal.ts";
import { computeOutput, record, salt } from "../../../../workers/src/node/steps/output.ts";
import { RescheduleError } from "../../../../workers/src/node/queues.ts";
import { commitmentOf, generateResultKey } from "../../../../workers/src/protocol/index.ts";
import { ME, closeModels, commitmentOf as commitmentRecord, stepContext, taskOf } from "./fake.ts";

const key = generateResultKey();
const task = taskOf({ status: 3, commitDeadline: 2000n, revealDeadline: 3000n });
const job = { step: "reveal", taskId: "7" } as const;

describe("steps/reveal", () => {
  const open: { done(): Promise<void> }[] = [];
  /** A node that committed its real output for task 7. */
  async function committed() {
    const s = await stepContext({ now: 2000n });
    open.push(s);
    await s.seeTask(7n, key.publicKey);
    s.chain.taskAt = () => task;
    const out = (await computeOutput(s.ctx, await record(s.ctx, 7n), s.log))!;
    const commitment = commitmentOf(7n, ME, out.outputHash, await salt(s.ctx, 7n));
    s.chain.commitments.set(ME.toLowerCase(), commitmentRecord({ commitment }));
    return { ...s, out };
  }
  afterEach(async () => {
    for (const s of open.splice(0)) await s.done();
  });
  after(closeModels);

  it("reveals the committed hash and the derived salt in the window", async () => {
    const s = await committed();
    assert.deepEqual(await reveal(s.ctx, job, s.log), []);
    assert.deepEqual(s.tx.calls("reveal")[0]?.args, [7n, ME, s.out.outputHash, await salt(s.ctx, 7n)]);
  });

  it("before the window: rescheduled to the commit deadline; after it: gives up", async () => {
    const s = await committed();
    s.setNow(1999n);
    await assert.rejects(reveal(s.ctx, job, s.log), (e) => e instanceof RescheduleError && e.dueAt === 2000n);
    s.setNow(3000n);
    assert.deepEqual(await reveal(s.ctx, job, s.log), []);
    assert.equal(s.tx.sent.length, 0);
  });

  it("a lost or stale cached result is recomputed (the model runs again)", async () => {
    const s = await committed();
    await s.redis.del(s.ctx.key("result:7"));
    await reveal(s.ctx, job, s.log);
    assert.equal(s.tx.calls("reveal").length, 1);
    await s.redis.set(
      s.ctx.key("result:7"),
      JSON.stringify({ canonical: "{}", outputHash: `0x${"00".repeat(32)}` }),
    );
    await reveal(s.ctx, job, s.log);
    assert.equal(s.tx.calls("reveal")[1]?.args[2], s.out.outputHash);
  });

  it("an output that cannot be reproduced fails the job for good", async () => {
    const s = await committed();
    s.chain.commitments.set(ME.toLowerCase(), commitmentRecord({ commitment: `0x${"02".repeat(32)}` }));
    await assert.rejects(reveal(s.ctx, job, s.log), UnrecoverableError);
  });

  it("nothing to do: no commitment, voided, revealed, or a final task; AlreadyRevealed is harmless", async () => {
    const s = await committed();
    s.tx.reverts.set("reveal", "TaskManagerAlreadyRevealed");
    assert.deepEqual(await reveal(s.ctx, job, s.log), []);
    for (const c of [{ revealed: true }, { voided: true }]) {
      s.chain.commitments.set(
        ME.toLowerCase(),
        commitmentRecord({ commitment: `0x${"01".repeat(32)}`, ...c }),
      );
      assert.deepEqual(await reveal(s.ctx, job, s.log), []);
    }
    s.chain.commitments.clear();
    assert.deepEqual(await reveal(s.ctx, job, s.log), []);
    assert.equal(s.tx.sent.length, 0);
  });
});
