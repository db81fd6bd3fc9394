/**
 * `npm run sim -- --small` (issue 13): the CI-size network simulation on the real contracts ends
 * with 0 honest slashes, and its report (read back as JSON) is consistent. The script runs as a
 * process, as a user runs it (nothing in test/ imports scripts/: test/support/imports.test.ts); its
 * chain is an in-process EDR chain of that process, gone when it exits.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { killGroup, ROOT } from "../support/devnet.ts";

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

async function runSim(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  const child = spawn("npx", ["tsx", "scripts/sim/main.ts", ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const timer = setTimeout(() => void killGroup(child), timeoutMs);
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  clearTimeout(timer);
  return { code, out };
}

describe("network simulation (npm run sim -- --small)", () => {
  it("runs every strategy on the real contracts with 0 honest slashes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "omnitensor-sim-"));
    try {
      const file = join(dir, "report.json");
      const { code, out } = await runSim(["--small", "--quiet", "--json", file], 120_000);
      assert.equal(code, 0, `the simulation failed:\n${out.slice(-4000)}`);
      assert.match(out, /honest slashes .*\*\*0\*\*/);
      const r = JSON.parse(readFileSync(file, "utf8")) as Report;
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
