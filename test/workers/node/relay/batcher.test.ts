/**
 * The batch gatherer of relay mode (workers/src/node/relay/batcher.ts), with a send function that
 * records its batches: a full batch goes at once, a batch that is not full goes when chain time
 * reaches its earliest deadline minus the margin (never later), the max delay sends the rest,
 * a waiting key is never queued twice, and no entry is ever left unsettled.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Batcher, type BatchItem, type BatchPolicy } from "../../../../workers/src/node/relay/batcher.ts";

const HOUR = 3_600_000;

/** A batcher whose send resolves every item with "tx<n>" (or runs `send`) and records the batches. */
function recording(policy: Partial<BatchPolicy>, send?: (items: BatchItem<string>[]) => Promise<void>) {
  const batches: string[][] = [];
  const reasons: string[] = [];
  const b = new Batcher<string>(
    "test",
    { batchSize: 4, maxDelayMs: HOUR, marginS: 60n, ...policy },
    async (items) => {
      batches.push(items.map((i) => i.entry));
      if (send) return send(items);
      items.forEach((i) => i.resolve(`tx${batches.length}`));
    },
    (reason) => reasons.push(reason),
  );
  return { b, batches, reasons };
}

describe("relay batcher", () => {
  // The batcher's timer is unref'd (it must not keep a node process alive by itself); here nothing
  // else may hold the event loop, and node:test cancels every test left once the loop empties.
  let keepAlive: NodeJS.Timeout;
  before(() => {
    keepAlive = setInterval(() => {}, 1000);
  });
  after(() => clearInterval(keepAlive));

  it("sends a full batch at once, the earliest deadlines first, and keeps the rest waiting", async () => {
    const { b, batches, reasons } = recording({ batchSize: 3 });
    const done = [b.add("a", "a", 900n), b.add("b", "b", 500n), b.add("c", "c")];
    assert.deepEqual(await Promise.all(done), ["tx1", "tx1", "tx1"]);
    assert.deepEqual(batches, [["b", "a", "c"]]);
    assert.deepEqual(reasons, ["size"]);
    const d = b.add("d", "d", 100n);
    assert.equal(b.size, 1);
    await b.stop(new Error("stopped"));
    await assert.rejects(d, /stopped/);
  });

  it("sends a batch that is not full once chain time + margin reaches its earliest deadline, not before", async () => {
    const { b, batches, reasons } = recording({ marginS: 60n });
    const p = Promise.all([b.add("x", "x", 1000n), b.add("y", "y", 2000n)]);
    b.tick(900n); // 900 + 60 < 1000: not due
    assert.equal(batches.length, 0);
    assert.equal(b.size, 2);
    assert.equal(b.earliestDeadline(), 1000n);
    b.tick(940n); // 940 + 60 = 1000: due
    assert.deepEqual(await p, ["tx1", "tx1"]);
    assert.deepEqual(batches, [["x", "y"]]);
    assert.deepEqual(reasons, ["deadline"]);
  });

  it("sends an entry that arrives already inside its margin at once", async () => {
    const { b, batches } = recording({});
    b.tick(1000n);
    assert.equal(await b.add("late", "late", 1030n), "tx1");
    assert.deepEqual(batches, [["late"]]);
  });

  it("sends what waits after the max delay, deadline or not", async () => {
    const { b, batches, reasons } = recording({ maxDelayMs: 5 });
    assert.deepEqual(await Promise.all([b.add("c1", "c1"), b.add("c2", "c2")]), ["tx1", "tx1"]);
    assert.deepEqual(batches, [["c1", "c2"]]);
    assert.deepEqual(reasons, ["delay"]);
  });

  it("never queues a waiting key twice: a second add joins the first", async () => {
    const { b, batches } = recording({ batchSize: 2 });
    const first = b.add("t1:n1", "first");
    const again = b.add("t1:n1", "again");
    assert.equal(b.size, 1);
    const other = b.add("t2:n1", "other");
    assert.deepEqual(await Promise.all([first, again, other]), ["tx1", "tx1", "tx1"]);
    assert.deepEqual(batches, [["first", "other"]]);
  });

  it("rejects what the send leaves unsettled, and every entry when the send throws", async () => {
    const partial = recording({ batchSize: 2 }, async (items) => items[0]!.resolve("tx"));
    const [ok, left] = await Promise.allSettled([partial.b.add("a", "a"), partial.b.add("b", "b")]);
    assert.deepEqual(ok, { status: "fulfilled", value: "tx" });
    assert.equal(left.status, "rejected");
    assert.match(String((left as PromiseRejectedResult).reason), /left unsettled/);

    const failing = recording({ batchSize: 2 }, async () => {
      throw new Error("rpc down");
    });
    const all = await Promise.allSettled([failing.b.add("a", "a"), failing.b.add("b", "b")]);
    assert.deepEqual(
      all.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "ok")),
      ["rpc down", "rpc down"],
    );
  });

  it("stop() rejects what waits and refuses new entries", async () => {
    const { b, batches, reasons } = recording({});
    const waiting = b.add("w", "w", 5000n);
    await b.stop(new Error("stopping"));
    await assert.rejects(waiting, /stopping/);
    await assert.rejects(b.add("n", "n"), /stopping/);
    assert.equal(batches.length, 0);
    assert.deepEqual(reasons, ["stop"]);
  });
});
