/**
 * `npm run sim -- --small` (issue 13): the CI-size network simulation on the real contracts ends
 * with 0 honest slashes, and its report (read back as JSON) is consistent. The script runs as a
 * process, as a user runs it (nothing in test/ imports scripts/: test/support/imports.test.ts); its
 * chain is an in-process EDR chain of that process, gone when it exits.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runScript } from "../support/script.ts";

interface Row {
  name: string;
  places: number;
  liquidations: number;
  profitPerNodeDay: { mean: number };
}
interface Report {
  tasks: number;
  honestSlashes: number;
  outcomes: { finalized: number; unresolved: number; cancelled: number; disputed: number };
  gas: { failed: number; perTask: number };
  strategies: Row[];
  config: { tasks: number };
}

/** Runs `npm run sim -- --small --quiet` with `extra` flags; returns the report's JSON text and the output. */
async function runSmall(extra: string[] = []): Promise<{ json: string; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "omnitensor-sim-"));
  try {
    const file = join(dir, "report.json");
    const { code, out } = await runScript(
      ["scripts/sim/main.ts", "--small", "--quiet", ...extra, "--json", file],
      120_000,
    );
    assert.equal(code, 0, `the simulation failed:\n${out.slice(-4000)}`);
    return { json: readFileSync(file, "utf8"), out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report without what may differ between two runs of the same flags: wall time and the JSON file's name. */
function numbers(json: string): unknown {
  const r = JSON.parse(json) as { seconds?: number; config: { json?: string } };
  delete r.seconds;
  delete r.config.json;
  return r;
}

describe("network simulation (npm run sim -- --small)", () => {
  let first: string | undefined;

  it("runs every strategy on the real contracts with 0 honest slashes", async () => {
    const { json, out } = await runSmall();
    first = json;
    assert.match(out, /honest slashes .*\*\*0\*\*/);
    const r = JSON.parse(json) as Report;
    assert.equal(r.honestSlashes, 0, "an honest node was slashed");
    assert.equal(r.tasks, r.config.tasks);
    assert.equal(r.gas.failed, 0, "a transaction of the simulation reverted");
    const { finalized, unresolved, cancelled, disputed } = r.outcomes;
    assert.equal(finalized + unresolved + cancelled, r.tasks, "every task ended");
    assert.ok(disputed > 0, "the griefer and the SDK's rule disputed");
    const honest = r.strategies.find((s) => s.name === "honest");
    assert.ok(
      honest && honest.places > 0 && honest.liquidations === 0,
      "honest nodes worked, never liquidated",
    );
    assert.ok(honest.profitPerNodeDay.mean > 0, "honest nodes earned");
    const lazy = r.strategies.find((s) => s.name === "lazy");
    assert.ok(
      lazy && lazy.liquidations > 0 && lazy.profitPerNodeDay.mean < 0,
      "lazy nodes were caught and lost",
    );
  });

  it("gives the same numbers for the same --seed (block times come from the run, not the wall clock)", async () => {
    assert.ok(first, "the first run gave a report");
    const again = await runSmall();
    assert.deepEqual(numbers(again.json), numbers(first), "two runs with the same seed differ");
  });
});
