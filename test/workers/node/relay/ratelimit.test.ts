/** The door's per-node rate limit (relay/ratelimit.ts): a token bucket per node, on a clock the test moves. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NodeRateLimit } from "../../../../workers/src/node/relay/ratelimit.ts";

const A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const B = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

describe("relay door rate limit", () => {
  it("allows perMinute entries at once, then one every 60 s / perMinute, per node", () => {
    let t = 0;
    const l = new NodeRateLimit(3, () => t);
    assert.deepEqual([l.take(A), l.take(A), l.take(A)], [undefined, undefined, undefined]);
    assert.equal(l.take(A), 20, "wait 20 s for the next entry");
    assert.equal(l.take(A.toLowerCase()), 20, "the address in any case is the same node");
    assert.equal(l.take(B), undefined, "another node has its own allowance");
    t += 19_500;
    assert.equal(l.take(A), 1, "half a second left: Retry-After is at least 1");
    t += 500;
    assert.equal(l.take(A), undefined);
    assert.equal(l.take(A), 20);
    t += 600_000;
    assert.deepEqual(
      [l.take(A), l.take(A), l.take(A), l.take(A)],
      [undefined, undefined, undefined, 20],
      "the bucket refills to perMinute, never above",
    );
  });

  it("0 is no limit", () => {
    const l = new NodeRateLimit(0, () => 0);
    for (let i = 0; i < 1000; i++) assert.equal(l.take(A), undefined);
    assert.equal(l.size, 0, "nothing tracked");
  });

  it("forgets the nodes whose bucket is full again once many are tracked", () => {
    let t = 0;
    const l = new NodeRateLimit(1, () => t);
    for (let i = 0; i < 10_000; i++) l.take(`0x${i.toString(16).padStart(40, "0")}`);
    assert.equal(l.size, 10_000);
    t += 60_000;
    l.take(A);
    assert.equal(l.size, 1, "the refilled buckets were swept");
    assert.equal(l.take(A), 60, "the live one kept its state");
  });
});
