/** The commit step against a fake chain: what is committed, which reverts end it, reschedules, follow-ups. */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { UnrecoverableError } from "bullmq";
import { keccak256, toBytes } from "viem";
import { commit } from "../../../../workers/src/node/steps/commit.ts";
import { salt } from "../../../../workers/src/node/steps/output.ts";
import { RescheduleError } from "../../../../workers/src/node/queues.ts";
import { UnprofitableError } from "../../../../workers/src/chain/errors.ts";
import type { CommitJob } from "../../../../workers/src/node/jobs.ts";
import { commitmentOf, generateResultKey } from "../../../../workers/src/protocol/index.ts";
import { otherSeed, wrongOutput } from "../../../support/cheat.ts";
import { knownModel } from "../../../support/models.ts";
import { ME, closeModels, commitmentOf as commitmentRecord, stepContext, taskOf } from "./fake.ts";

const key = generateResultKey();
const seatTask = taskOf({
  status: 1,
  createdAt: 1000n,
  seatDeadline: 3000n,
  seatStep: 100n,
  commitDeadline: 70_000n,
  revealDeadline: 86_000n,
  workerShare: 123n,
});

describe("steps/commit", () => {
  const open: { done(): Promise<void> }[] = [];
  async function setup(over: Parameters<typeof stepContext>[0] = {}) {
    const s = await stepContext(over);
    open.push(s);
    await s.seeTask(7n, key.publicKey);
    s.chain.taskAt = () => seatTask;
    return s;
  }
  afterEach(async () => {
    for (const s of open.splice(0)) await s.done();
  });
  after(closeModels);
  const job = (place: 1 | 2 | 3 = 1): CommitJob => ({
    step: "commit",
    taskId: "7",
    place,
    seenAt: Date.now(),
  });

  it("commits the sealed result with its commitment, then asks for the reveal and the finalize", async () => {
    const s = await setup();
    const next = await commit(s.ctx, job(), s.log);
    const [sent] = s.tx.calls("commit");
    assert.ok(sent);
    const out = JSON.parse((await s.redis.get(s.ctx.key("result:7")))!) as { outputHash: `0x${string}` };
    assert.equal(sent.args[1], commitmentOf(7n, ME, out.outputHash, await salt(s.ctx, 7n)));
    assert.deepEqual(
      next.map((n) => [n.data.step, n.dueAt]),
      [
        ["reveal", 70_000n],
        ["finalize", 86_000n],
      ],
    );
  });

  it("an output transform (the tests' cheater) replaces what is committed", async () => {
    const s = await setup();
    s.ctx.transformOutput = wrongOutput;
    await commit(s.ctx, job(), s.log);
    const out = JSON.parse((await s.redis.get(s.ctx.key("result:7")))!) as {
      canonical: string;
      outputHash: string;
    };
    assert.equal(out.canonical, wrongOutput("", { taskId: 7n, modelId: "0x" }));
    assert.equal(out.outputHash, keccak256(toBytes(out.canonical)));
  });

  it("an input transform (the demo's reseeded cheater) runs the model on the replaced input", async () => {
    const honest = await setup();
    await commit(honest.ctx, job(), honest.log);
    const s = await setup();
    const seen: [string, bigint][] = [];
    const other = new TextEncoder().encode(knownModel("tiny-mlp").sampleInput(2));
    s.ctx.transformInput = (input, task) => {
      seen.push([new TextDecoder().decode(input), task.taskId]);
      return other;
    };
    await commit(s.ctx, job(), s.log);
    assert.deepEqual(seen, [[knownModel("tiny-mlp").sampleInput(1), 7n]]);
    const hashOf = async (x: typeof s) =>
      (JSON.parse((await x.redis.get(x.ctx.key("result:7")))!) as { outputHash: string }).outputHash;
    assert.notEqual(await hashOf(s), await hashOf(honest));
  });

  it("otherSeed inverts a generation input's seed and leaves other inputs alone", () => {
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const task = { taskId: 7n, modelId: "0x" as const };
    const out = otherSeed(enc({ prompt: [1, 2], maxNewTokens: 4, seed: `0x${"0f".repeat(32)}` }), task);
    assert.equal(
      new TextDecoder().decode(out),
      JSON.stringify({ prompt: [1, 2], maxNewTokens: 4, seed: `0x${"f0".repeat(32)}` }),
    );
    const plain = enc({ prompt: [1, 2], maxNewTokens: 4 });
    assert.equal(otherSeed(plain, task), plain);
  });

  it("harmless and final reverts end the job without follow-ups; BondUnavailable fails it", async () => {
    for (const name of [
      "TaskManagerAlreadyCommitted",
      "TaskManagerSeatTaken",
      "TaskManagerCommitClosed",
    ] as const) {
      const s = await setup();
      s.tx.reverts.set("commit", name);
      assert.deepEqual(await commit(s.ctx, job(), s.log), [], name);
    }
    const s = await setup();
    s.tx.reverts.set("commit", "TaskManagerBondUnavailable");
    await assert.rejects(commit(s.ctx, job(), s.log), UnrecoverableError);
    s.tx.reverts.set("commit", "other");
    await assert.rejects(commit(s.ctx, job(), s.log), /would revert/);
  });

  it("a commit refused by the profitability guard ends the job, counted as skipped 'unprofitable'", async () => {
    const s = await setup();
    let reward: bigint | undefined;
    s.ctx.tx = {
      send: (fn, _args, opts) => {
        reward = opts.expectedReward;
        return Promise.reject(new UnprofitableError(fn, opts.expectedReward ?? 0n, 10n ** 18n));
      },
    };
    assert.deepEqual(await commit(s.ctx, job(), s.log), [], "no reveal, no finalize, no retry");
    assert.equal(reward, 123n, "the guard was given the seat's worker share");
    const skipped = (await s.ctx.common.metrics.skipped.get()).values.find(
      (v) => v.labels.reason === "unprofitable",
    );
    assert.equal(skipped?.value, 1);
  });

  it("a seat refused as not eligible before the seat deadline is tried again at the next seat step", async () => {
    const s = await setup();
    s.setNow(1250n);
    s.tx.reverts.set("commit", "TaskManagerNotEligible");
    await assert.rejects(
      commit(s.ctx, job(), s.log),
      (e) => e instanceof RescheduleError && e.dueAt === 1300n,
    );
    s.setNow(3000n);
    assert.deepEqual(await commit(s.ctx, job(), s.log), [], "after the deadline: stop");
  });

  it("does nothing on a final task", async () => {
    const s = await setup();
    s.chain.taskAt = () => ({ ...seatTask, status: 6 });
    assert.deepEqual(await commit(s.ctx, job(), s.log), []);
    assert.equal(s.tx.sent.length, 0);
  });

  describe("verifier and juror places (one consistent read)", () => {
    const vTask = { ...seatTask, status: 2, verifierSeedBlock: 100n, verifyDeadline: 40_000n };

    it("commits when eligible at the block read; reads pinned to one block", async () => {
      const s = await setup();
      s.chain.block = 105n;
      s.chain.taskAt = () => vTask;
      s.chain.eligibilityAt = () => ({ seat: false, verifier: true, juror: false });
      assert.equal((await commit(s.ctx, job(2), s.log)).length, 2);
      const reads = s.chain.reads.filter((r) => r.fn !== "getTask" || r.at !== undefined);
      assert.ok(reads.length >= 3 && reads.every((r) => r.at === 105n));
    });

    it("already committed: nothing sent", async () => {
      const s = await setup();
      s.chain.taskAt = () => vTask;
      s.chain.commitments.set(ME.toLowerCase(), commitmentRecord({ commitment: `0x${"01".repeat(32)}` }));
      assert.deepEqual(await commit(s.ctx, job(2), s.log), []);
      assert.equal(s.tx.sent.length, 0);
    });

    it("not eligible while the seed is unknown: reschedule; with the seed known: skip", async () => {
      const s = await setup();
      s.chain.taskAt = () => vTask;
      s.chain.block = 101n;
      await assert.rejects(commit(s.ctx, job(2), s.log), RescheduleError);
      s.chain.block = 102n;
      assert.deepEqual(await commit(s.ctx, job(2), s.log), []);
      assert.equal(s.tx.sent.length, 0);
    });
  });
});
