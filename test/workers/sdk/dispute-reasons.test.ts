/**
 * The SDK's dispute rule (PROTOCOL.md §8): an output that does not decrypt or does not match its
 * commitment is a reason to dispute, as is a disagreement, and the SDK names each node at fault.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Address, Hex } from "viem";
import {
  describeDisputeReasons,
  disputeReasons,
  outputsDisagree,
} from "../../../workers/src/sdk/waitForResult.ts";
import type { CommitmentReport } from "../../../workers/src/sdk/watchCommitments.ts";
import { TaskUnresolvedError } from "../../../workers/src/sdk/errors.ts";

const node = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Address;
const H1: Hex = `0x${"11".repeat(32)}`;
const H2: Hex = `0x${"22".repeat(32)}`;
function report(i: number, over: Partial<CommitmentReport>): CommitmentReport {
  return {
    taskId: 1n,
    node: node(i),
    place: 1,
    ok: true,
    outputHash: H1,
    blockNumber: 1n,
    transactionHash: `0x${i.toString(16).padStart(64, "0")}`,
    ...over,
  };
}

describe("sdk: dispute reasons", () => {
  it("agreeing outputs: nothing to dispute", () => {
    const rs = [report(1, {}), report(2, {}), report(3, { place: 2 })];
    assert.deepEqual(disputeReasons(rs), []);
    assert.equal(outputsDisagree(rs), false);
  });

  it("an output that does not decrypt, or does not match its commitment, names its node, even when all others agree", () => {
    const rs = [
      report(1, {}),
      report(2, { ok: false, problem: "DECRYPT_FAILED", outputHash: undefined }),
      report(3, { ok: false, problem: "COMMITMENT_MISMATCH", outputHash: H1, place: 2 }),
    ];
    const reasons = disputeReasons(rs);
    assert.deepEqual(
      reasons.map((r) => [r.node, r.place, r.problem]),
      [
        [node(2), 1, "DECRYPT_FAILED"],
        [node(3), 2, "COMMITMENT_MISMATCH"],
      ],
    );
    assert.equal(reasons[0]!.transactionHash, rs[1]!.transactionHash, "the transaction that carried it");
    assert.equal(outputsDisagree(rs), true);
    assert.equal(
      describeDisputeReasons(reasons),
      `node ${node(2)}'s sealed output did not decrypt; node ${node(3)}'s sealed output does not match its commitment`,
    );
  });

  it("a disagreement names the nodes outside the most common output (every node on a tie)", () => {
    const three = [report(1, {}), report(2, {}), report(3, { outputHash: H2 })];
    assert.deepEqual(
      disputeReasons(three).map((r) => [r.node, r.problem, r.outputHash]),
      [[node(3), "DISAGREES", H2]],
    );
    const tie = [report(1, {}), report(2, { outputHash: H2 })];
    assert.deepEqual(
      disputeReasons(tie).map((r) => r.node),
      [node(1), node(2)],
    );
  });

  it("TaskUnresolvedError says which nodes the wait disputed for", () => {
    const e = new TaskUnresolvedError(4n, {
      leader: H1,
      n: 1,
      m: 1,
      tied: true,
      disputed: true,
      disputeReasons: [{ node: node(5), problem: "DECRYPT_FAILED" }],
    });
    assert.match(e.message, new RegExp(`disputed for: ${node(5)} DECRYPT_FAILED`));
  });
});
