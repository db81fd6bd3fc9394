/**
 * The seed step against a fake chain that plays the contract's fixSeed (PROTOCOL.md §4.1): a
 * seed asked for in block b is stored from block b + 2; one unstored past b + 257 is lost and
 * fixSeed re-anchors it to the block of the call, after which the step stores it two blocks later.
 */
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Hex } from "viem";
import { seed } from "../../../../workers/src/node/steps/seed.ts";
import { RescheduleError } from "../../../../workers/src/node/queues.ts";
import type { SeedJob } from "../../../../workers/src/node/jobs.ts";
import type { Task } from "../../../../workers/src/chain/reads.ts";
import { closeModels, stepContext, taskOf } from "./fake.ts";

const SEED: Hex = `0x${"5e".repeat(32)}`;
const open = {
  status: 1,
  createdAt: 900n,
  seatDeadline: 5000n,
  verifyDeadline: 9000n,
  commitDeadline: 20_000n,
};
const job = (kind: 1 | 2 | 3, anchor: bigint): SeedJob => ({
  step: "seed",
  taskId: "7",
  kind,
  anchor: anchor.toString(),
});
const FIELDS = {
  1: ["seatSeed", "seatSeedBlock"],
  2: ["verifierSeed", "verifierSeedBlock"],
  3: ["jurySeed", "jurySeedBlock"],
} as const;

/** A chain whose fixSeed stores a known seed or re-anchors a lost one, as TaskSeeds.poke does. */
async function setup(blocks: Partial<Record<1 | 2 | 3, bigint>>, over: Partial<Task> = {}) {
  const s = await stepContext({ roles: ["compute", "verifier"], now: 1000n });
  let t = taskOf({
    ...open,
    seatSeedBlock: blocks[1] ?? 0n,
    verifierSeedBlock: blocks[2] ?? 0n,
    jurySeedBlock: blocks[3] ?? 0n,
    ...over,
  });
  s.chain.taskAt = () => t;
  const send = s.tx.send.bind(s.tx);
  const poke = (kind: 1 | 2 | 3) => {
    const [seedField, blockField] = FIELDS[kind];
    const b = t[blockField];
    const n = s.chain.block + 1n; // the transaction's block
    if (BigInt(t[seedField]) !== 0n || b === 0n) return;
    if (n > b + 257n) t = { ...t, [blockField]: n };
    else if (n >= b + 2n) t = { ...t, [seedField]: SEED };
  };
  s.tx.send = async (fn, args, opts) => {
    await send(fn, args, opts);
    if (fn !== "fixSeed") return;
    const kind = Number(args[1]) as 1 | 2 | 3;
    if (kind === 3) poke(2);
    if (kind !== 3 || BigInt(t.verifierSeed) !== 0n) poke(kind);
    else if (t.jurySeedBlock !== 0n && s.chain.block + 1n > t.jurySeedBlock + 257n) poke(3);
    s.chain.block += 1n;
  };
  return { ...s, task: () => t };
}

describe("steps/seed", () => {
  const opened: { done(): Promise<void> }[] = [];
  async function fresh(...a: Parameters<typeof setup>) {
    const s = await setup(...a);
    opened.push(s);
    return s;
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.done();
  });
  after(closeModels);

  it("waits for block b + 2 (no read, no transaction), then stores the seed with fixSeed(taskId, kind)", async () => {
    const s = await fresh({ 1: 100n });
    s.chain.block = 101n;
    await assert.rejects(seed(s.ctx, job(1, 100n), s.log), RescheduleError);
    assert.equal(s.chain.reads.length, 0, "no read before b + 2");
    assert.equal(s.tx.sent.length, 0);
    s.chain.block = 102n;
    assert.deepEqual(await seed(s.ctx, job(1, 100n), s.log), []);
    assert.deepEqual(s.tx.calls("fixSeed")[0]?.args, [7n, 1]);
    assert.equal(s.task().seatSeed, SEED);
  });

  it("a stored seed, a task over, a seed never asked for or a closed window: done without a transaction", async () => {
    for (const [blocks, over] of [
      [{ 1: 100n }, { seatSeed: SEED }],
      [{ 1: 100n }, { status: 5 }],
      [{ 1: 100n }, { status: 0 }],
      [{}, {}],
      [{ 1: 100n }, { seatDeadline: 1000n }],
    ] as const) {
      const s = await fresh(blocks, over as Partial<Task>);
      s.chain.block = 110n;
      assert.deepEqual(await seed(s.ctx, job(1, 100n), s.log), [], Object.keys(over).join() || "never asked");
      assert.equal(s.tx.sent.length, 0, Object.keys(over).join() || "never asked");
    }
  });

  it("a lost seed (nobody stored it within 256 blocks) is re-anchored, then stored two blocks later", async () => {
    const s = await fresh({ 1: 100n });
    s.chain.block = 400n; // b + 1 = 101 is 299 blocks old
    await assert.rejects(
      seed(s.ctx, job(1, 100n), s.log),
      (e) => e instanceof RescheduleError && /not stored yet/.test(e.why),
    );
    assert.equal(s.task().seatSeedBlock, 401n, "re-anchored to the block of the call");
    assert.equal(BigInt(s.task().seatSeed), 0n);
    assert.equal(s.tx.calls("fixSeed").length, 1);
    // one block later (402): the new seed is not known yet; no transaction
    await assert.rejects(
      seed(s.ctx, job(1, 100n), s.log),
      (e) => e instanceof RescheduleError && /403/.test(e.why),
    );
    assert.equal(s.tx.calls("fixSeed").length, 1);
    s.chain.block = 403n;
    assert.deepEqual(await seed(s.ctx, job(1, 100n), s.log), []);
    assert.equal(s.tx.calls("fixSeed").length, 2);
    assert.equal(s.task().seatSeed, SEED);
  });

  it("a call that lands in block b + 257 still stores the seed (blockhash(b + 1) answers)", async () => {
    const s = await fresh({ 1: 100n });
    s.chain.block = 356n; // the transaction lands in 357 = b + 257: blockhash(b + 1) still answers
    assert.deepEqual(await seed(s.ctx, job(1, 100n), s.log), []);
    assert.equal(s.task().seatSeed, SEED);
  });

  it("jury: waits for the verifier seed it stores first; both stored by one fixSeed(t, 3)", async () => {
    const s = await fresh({ 2: 200n, 3: 205n }, { disputed: true });
    s.chain.block = 206n; // the jury seed is known from 207, the verifier seed from 202
    await assert.rejects(seed(s.ctx, job(3, 205n), s.log), RescheduleError);
    s.chain.block = 207n;
    assert.deepEqual(await seed(s.ctx, job(3, 205n), s.log), []);
    assert.deepEqual(s.tx.calls("fixSeed")[0]?.args, [7n, 3]);
    assert.equal(s.task().verifierSeed, SEED);
    assert.equal(s.task().jurySeed, SEED);
  });

  it("jury: a dispute that drew the verifiers re-anchors both lost seeds, then stores both", async () => {
    const s = await fresh({ 2: 300n, 3: 300n }, { disputed: true });
    s.chain.block = 700n;
    await assert.rejects(seed(s.ctx, job(3, 300n), s.log), RescheduleError);
    assert.equal(s.task().verifierSeedBlock, 701n);
    assert.equal(s.task().jurySeedBlock, 701n);
    s.chain.block = 703n;
    assert.deepEqual(await seed(s.ctx, job(3, 300n), s.log), []);
    assert.equal(s.task().jurySeed, SEED);
  });

  it("an unknown task (TaskManagerUnknownTask) ends the job; other reverts are thrown", async () => {
    const s = await fresh({ 2: 100n });
    s.chain.block = 110n;
    s.tx.reverts.set("fixSeed", "TaskManagerUnknownTask");
    assert.deepEqual(await seed(s.ctx, job(2, 100n), s.log), []);
    s.tx.reverts.set("fixSeed", "other");
    await assert.rejects(seed(s.ctx, job(2, 100n), s.log), /reverted/);
  });
});
