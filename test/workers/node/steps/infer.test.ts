/**
 * The infer step against a fake chain: seat chance, reschedules, and the eligibility/seed race of
 * issue 17 item 1 (the chain moves from b + 1 to b + 2 between two reads).
 */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { maxUint256 } from "viem";
import { infer } from "../../../../workers/src/node/steps/infer.ts";
import { RescheduleError } from "../../../../workers/src/node/queues.ts";
import type { InferJob } from "../../../../workers/src/node/jobs.ts";
import { generateResultKey } from "../../../../workers/src/protocol/index.ts";
import { ME, closeModels, commitmentOf, stepContext, taskOf } from "./fake.ts";

const key = generateResultKey();

describe("steps/infer", () => {
  const open: { done(): Promise<void> }[] = [];
  async function setup(opts: Parameters<typeof stepContext>[0] = {}) {
    const s = await stepContext(opts);
    open.push(s);
    await s.seeTask(7n, key.publicKey);
    return s;
  }
  afterEach(async () => {
    for (const s of open.splice(0)) await s.done();
  });
  after(closeModels);

  const verifierJob = (): InferJob => ({ step: "infer", taskId: "7", place: 2 });
  // The verifier draw was asked for in block 100: its seed is known from block 102 (PROTOCOL §4.1).
  const drawnTask = taskOf({ status: 2, verifierSeedBlock: 100n, verifyDeadline: 5000n, seatDeadline: 900n });

  it("race: a 'not eligible' read while the seed is unknown reschedules; the duty is done once it is known", async () => {
    const s = await setup();
    s.chain.block = 101n; // b + 1: seed not known yet
    s.chain.taskAt = () => drawnTask; // getTask shows the seed only once stored: never here
    s.chain.eligibilityAt = (at) => ({ seat: false, verifier: at >= 102n, juror: false });
    // The chain moves to b + 2 right after the second read (the old code read isEligible at b + 1
    // and then judged the seed "known" from the newer head, and completed the job: duty dropped).
    s.chain.afterRead = (n) => {
      if (n === 2) s.chain.block = 102n;
    };
    const job = verifierJob();
    await assert.rejects(
      infer(s.ctx, job, s.log),
      (e) => e instanceof RescheduleError && /seed not known/.test(e.why),
    );
    assert.deepEqual(
      s.chain.reads.map((r) => [r.fn, r.at]),
      [
        ["getTask", 101n],
        ["isEligible", 101n],
        ["commitmentOf", 101n],
      ],
      "every read pinned to one block",
    );
    const next = await infer(s.ctx, job, s.log); // the rescheduled run
    assert.equal(next.length, 1);
    assert.deepEqual(
      { step: next[0]!.data.step, place: "place" in next[0]!.data ? next[0]!.data.place : 0 },
      { step: "commit", place: 2 },
    );
  });

  it("a 'not eligible' read with the seed known at that block completes the job (not drawn)", async () => {
    const s = await setup();
    s.chain.block = 102n;
    s.chain.taskAt = () => drawnTask;
    assert.deepEqual(await infer(s.ctx, verifierJob(), s.log), []);
  });

  it("a lost seed (unstored 256 blocks after b + 1) decides nothing: rescheduled until re-anchored and known", async () => {
    const s = await setup();
    s.chain.block = 400n; // the seed of block 100 is lost: isEligible says no for everyone
    s.chain.taskAt = (at) => (at >= 403n ? { ...drawnTask, verifierSeedBlock: 401n } : drawnTask);
    s.chain.eligibilityAt = (at) => ({ seat: false, verifier: at >= 403n, juror: false });
    await assert.rejects(
      infer(s.ctx, verifierJob(), s.log),
      (e) => e instanceof RescheduleError && /seed not known/.test(e.why),
    );
    s.chain.block = 402n; // re-anchored to 401 (the seed step), not known yet
    s.chain.taskAt = () => ({ ...drawnTask, verifierSeedBlock: 401n });
    await assert.rejects(infer(s.ctx, verifierJob(), s.log), RescheduleError);
    s.chain.block = 403n;
    const next = await infer(s.ctx, verifierJob(), s.log);
    assert.equal(next[0]?.data.step, "commit");
  });

  it("a seat: a lost seat seed (rank unknown for all) reschedules instead of skipping the task", async () => {
    const s = await setup({ roles: ["compute"] });
    s.chain.block = 400n;
    s.chain.taskAt = () =>
      taskOf({ status: 1, seatSeedBlock: 100n, createdAt: 900n, seatDeadline: 5000n, redundancy: 1 });
    await assert.rejects(
      infer(s.ctx, { step: "infer", taskId: "7", place: 1 }, s.log),
      (e) => e instanceof RescheduleError && /seat seed not known/.test(e.why),
    );
  });

  it("a verifier that committed already (a rescan after a restart or a wipe) does nothing", async () => {
    const s = await setup();
    s.chain.block = 102n;
    s.chain.taskAt = () => drawnTask;
    s.chain.commitments.set(ME.toLowerCase(), commitmentOf({ commitment: `0x${"01".repeat(32)}` }));
    assert.deepEqual(await infer(s.ctx, verifierJob(), s.log), []);
  });

  it("a seed never known before the window closes ends the job", async () => {
    const s = await setup();
    s.chain.block = 101n;
    s.chain.taskAt = () => drawnTask;
    s.setNow(5000n);
    assert.deepEqual(await infer(s.ctx, verifierJob(), s.log), []);
  });

  it("a juror place is judged from the jury seed", async () => {
    const s = await setup();
    s.chain.block = 301n;
    s.chain.taskAt = () => taskOf({ status: 2, jurySeedBlock: 300n, commitDeadline: 9000n, disputed: true });
    s.chain.eligibilityAt = (at) => ({ seat: false, verifier: false, juror: at >= 302n });
    const job: InferJob = { step: "infer", taskId: "7", place: 3 };
    await assert.rejects(infer(s.ctx, job, s.log), RescheduleError);
    s.chain.block = 302n;
    const [next] = await infer(s.ctx, job, s.log);
    assert.equal(next?.data.step, "commit");
  });

  describe("seats", () => {
    const seatTask = taskOf({
      status: 1,
      redundancy: 2,
      createdAt: 1000n,
      seatDeadline: 3000n,
      seatStep: 100n,
      seatSeedBlock: 50n,
    });
    const seatJob = (): InferJob => ({ step: "infer", taskId: "7", place: 1, seenAt: Date.now() });

    it("waits for the seat seed, then runs the model and asks for the commit", async () => {
      const s = await setup();
      s.chain.block = 51n;
      s.chain.taskAt = () => seatTask;
      s.chain.rankAt = (at) => (at >= 52n ? 3n : maxUint256);
      const job = seatJob();
      await assert.rejects(infer(s.ctx, job, s.log), RescheduleError);
      assert.ok(job.seedWaitFrom, "the seed wait is measured (excluded from the latency metric)");
      s.chain.block = 52n;
      const [next] = await infer(s.ctx, job, s.log);
      assert.equal(next?.data.step, "commit");
      assert.equal(next?.data.step === "commit" && next.data.place, 1);
      assert.ok(await s.redis.get(s.ctx.key("result:7")), "the result is kept");
    });

    it("skips a task whose snapshot does not hold this node (rank max with the seed known)", async () => {
      const s = await setup();
      s.chain.block = 60n;
      s.chain.taskAt = () => seatTask;
      assert.deepEqual(await infer(s.ctx, seatJob(), s.log), []);
      assert.equal(await s.redis.get(s.ctx.key("result:7")), null, "no model run");
    });

    it("with as many better-ranked nodes as seats: re-check at half window, then skip when full", async () => {
      const s = await setup();
      s.chain.block = 60n;
      await s.redis.sadd(
        s.ctx.key("nodes"),
        "0x00000000000000000000000000000000000000c1",
        "0x00000000000000000000000000000000000000c2",
        ME.toLowerCase(),
      );
      s.chain.rankAt = (_at, node) => (node.toLowerCase() === ME.toLowerCase() ? 9n : 1n);
      s.chain.taskAt = () => seatTask;
      await assert.rejects(
        infer(s.ctx, seatJob(), s.log),
        (e) => e instanceof RescheduleError && e.dueAt === 2000n,
      );
      s.setNow(2000n);
      s.chain.taskAt = () => ({
        ...seatTask,
        seatHolders: [
          "0x00000000000000000000000000000000000000c1",
          "0x00000000000000000000000000000000000000c2",
        ],
      });
      assert.deepEqual(await infer(s.ctx, seatJob(), s.log), [], "full: no real chance");
      s.chain.taskAt = () => ({ ...seatTask, seatHolders: ["0x00000000000000000000000000000000000000c1"] });
      const [next] = await infer(s.ctx, seatJob(), s.log);
      assert.equal(next?.data.step, "commit", "a seat still free: try");
    });

    it("does nothing after the seat deadline or on a final task", async () => {
      const s = await setup();
      s.chain.block = 60n;
      s.chain.taskAt = () => seatTask;
      s.setNow(3000n);
      assert.deepEqual(await infer(s.ctx, seatJob(), s.log), []);
      s.setNow(1000n);
      s.chain.taskAt = () => ({ ...seatTask, status: 5 });
      assert.deepEqual(await infer(s.ctx, seatJob(), s.log), []);
    });
  });
});
