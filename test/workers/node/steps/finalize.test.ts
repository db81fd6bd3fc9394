/** The finalize step against a fake chain: when it finalizes, and the settlement jobs it returns. */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { finalize } from "../../../../workers/src/node/steps/finalize.ts";
import { RescheduleError } from "../../../../workers/src/node/queues.ts";
import { ME, OTHER, closeModels, commitmentOf, stepContext, taskOf } from "./fake.ts";

const H = `0x${"0a".repeat(32)}` as const;
const open_ = taskOf({ status: 3, revealDeadline: 3000n, seatHolders: [OTHER] });
const done = { ...open_, status: 5, acceptedOutputHash: H };
const job = { step: "finalize", taskId: "7" } as const;

describe("steps/finalize", () => {
  const opened: { done(): Promise<void> }[] = [];
  async function setup(roles: ("compute" | "verifier")[] = ["verifier"]) {
    const s = await stepContext({ roles, now: 3000n });
    opened.push(s);
    // The task is Finalized once this node (or anyone) sent finalize.
    s.chain.taskAt = () => (s.tx.calls("finalize").length ? done : open_);
    return s;
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.done();
  });
  after(closeModels);

  it("before the reveal deadline: rescheduled to it", async () => {
    const s = await setup();
    s.setNow(2999n);
    await assert.rejects(
      finalize(s.ctx, job, s.log),
      (e) => e instanceof RescheduleError && e.dueAt === 3000n,
    );
  });

  it("finalizes, then liquidation jobs for the other committers, a claim and a delivery for its own commitment", async () => {
    const s = await setup();
    await s.redis.sadd(s.ctx.key("committers:7"), OTHER.toLowerCase(), ME.toLowerCase());
    s.chain.commitments.set(ME.toLowerCase(), commitmentOf({ commitment: H, revealed: true, outputHash: H }));
    const next = await finalize(s.ctx, job, s.log);
    assert.equal(s.tx.calls("finalize").length, 1);
    assert.deepEqual(
      next.map((n) => n.data),
      [
        { step: "settle", taskId: "7", action: "liquidate", node: OTHER.toLowerCase() },
        { step: "settle", taskId: "7", action: "claim" },
        { step: "settle", taskId: "7", action: "deliver" },
      ],
    );
  });

  it("a disputed task: every known node is a liquidation candidate; a compute node asks for none", async () => {
    const s = await setup();
    s.chain.taskAt = () => ({ ...done, disputed: true });
    await s.redis.sadd(s.ctx.key("nodes"), "0x00000000000000000000000000000000000000c3");
    const next = await finalize(s.ctx, job, s.log);
    assert.equal(s.tx.sent.length, 0, "already final: nothing sent");
    assert.deepEqual(
      next.map((n) => n.data.step === "settle" && n.data.action),
      ["liquidate"],
    );
    const c = await setup(["compute"]);
    c.chain.taskAt = () => ({ ...done, disputed: true });
    await c.redis.sadd(c.ctx.key("nodes"), "0x00000000000000000000000000000000000000c3");
    assert.deepEqual(await finalize(c.ctx, job, c.log), []);
  });

  it("a revert of finalize is tolerated (someone was first), but a task still open is an error (retried)", async () => {
    const s = await setup();
    s.tx.reverts.set("finalize", "other");
    await assert.rejects(finalize(s.ctx, job, s.log), /not finalized yet/);
  });

  it("unknown or cancelled tasks: nothing", async () => {
    const s = await setup();
    for (const status of [0, 7]) {
      s.chain.taskAt = () => ({ ...open_, status });
      assert.deepEqual(await finalize(s.ctx, job, s.log), []);
    }
  });
});
