/**
 * `npm run sim -- --small` (issue 13): the CI-size network simulation on the real contracts (an
 * in-process EDR chain of its own, closed at the end) ends with 0 honest slashes, and its report's
 * numbers are consistent with the chain's events.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { parseArgs, type SimConfig } from "../../scripts/sim/config.ts";
import { runSim } from "../../scripts/sim/run.ts";

describe("network simulation (npm run sim -- --small)", () => {
  it("runs every strategy on the real contracts with 0 honest slashes", async () => {
    const c = parseArgs(["--small", "--quiet"]) as SimConfig;
    const conn = await network.create();
    try {
      const r = await runSim(c, conn.provider);
      assert.equal(r.honestSlashes, 0, "an honest node was slashed");
      assert.equal(r.tasks, c.tasks);
      assert.equal(r.gas.failed, 0, "a transaction of the simulation reverted");
      const { finalized, unresolved, cancelled } = r.outcomes;
      assert.equal(finalized + unresolved + cancelled, c.tasks, "every task ended");
      const honest = r.strategies.find((s) => s.name === "honest");
      assert.ok(
        honest && honest.places > 0 && honest.liquidations === 0,
        "honest nodes worked and were never liquidated",
      );
      assert.ok(honest.profitPerNodeDay.mean > 0, "honest nodes earned");
      assert.ok(r.outcomes.disputed > 0, "the griefer and the SDK's rule disputed");
    } finally {
      await conn.close();
    }
  });
});
