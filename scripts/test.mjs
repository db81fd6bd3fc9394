#!/usr/bin/env node
// `npm test`: runs every Solidity and TypeScript test through `hardhat test`, streams its report,
// then prints one closing line `N passed, N failed` (so a run that executed no test is visible).
// Two checks ride along and fail the run: the gas snapshots (`--snapshot-check` on every run that
// includes the Solidity tests: `.gas-snapshot` per test and `snapshots/*.json` from
// test/contracts/gas/; refresh both with the whole suite, `npx hardhat test solidity --snapshot`: a
// filtered --snapshot run rewrites .gas-snapshot with only the tests it ran; fuzz figures assume the
// default FUZZ_RUNS), and the ABI drift check (`scripts/export-abis.ts --check`: abis.ts matches the
// artifacts).
import { spawn, spawnSync } from "node:child_process";

const extra = process.argv.slice(2);
const runsSolidity =
  (extra[0] === undefined || extra[0] === "solidity" || extra[0].startsWith("-")) &&
  !extra.includes("--snapshot") &&
  !extra.includes("--snapshot-check");
const args = ["hardhat", "test", ...extra, ...(runsSolidity ? ["--snapshot-check"] : [])];
// Its own process group, so that a hung run (a test that never ends) can be stopped whole.
const child = spawn("npx", args, { stdio: ["inherit", "pipe", "pipe"], env: process.env, detached: true });
const LIMIT_MIN = Number(process.env.TEST_TIMEOUT_MIN ?? 25);
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  console.error(
    `\nnpm test: still running after ${LIMIT_MIN} minutes: stopping it (TEST_TIMEOUT_MIN to change)`,
  );
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    /* gone */
  }
}, LIMIT_MIN * 60_000);
watchdog.unref();
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* gone */
    }
  });
}

let out = "";
// eslint-disable-next-line no-control-regex
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
child.stdout.on("data", (d) => {
  process.stdout.write(d);
  out += strip(d.toString());
});
child.stderr.on("data", (d) => {
  process.stderr.write(d);
  out += strip(d.toString());
});

child.on("close", (code, signal) => {
  // Hardhat prints one block per runner ("N passing", "N failing", "N skipped"), then a total line
  // "N passing (x solidity, y nodejs)". Sum the per-runner blocks; fall back to the totals.
  const sum = (re) => [...out.matchAll(re)].map((m) => Number(m[1]));
  const totalPassing = sum(/^\s*(\d+) passing \(/gm);
  const totalFailing = sum(/^\s*(\d+) failing \(/gm);
  let passed;
  let failed;
  if (totalPassing.length > 0) {
    passed = totalPassing.at(-1);
    failed =
      totalFailing.length > 0
        ? totalFailing.at(-1)
        : sum(/^\s*(\d+) failing\s*$/gm).reduce((a, b) => a + b, 0);
  } else {
    // One runner only, or the runner stopped before its summary (a crash): count the results.
    passed = (out.match(/^\s*✔ (?!\/)/gm) ?? []).length;
    failed = new Set([...out.matchAll(/^\s*(\d+)\) /gm)].map((m) => m[1])).size;
  }
  // A runner whose event loop emptied while a test was pending ("Promise resolution is still
  // pending …") lists the cancelled tests as numbered failures after its totals yet prints no
  // "N failing" line and may exit 0: count the numbered entries listed after the last totals.
  const tail = out.slice(Math.max(0, out.lastIndexOf(" passing (")));
  failed = Math.max(failed, new Set([...tail.matchAll(/^\s*(\d+)\) /gm)].map((m) => m[1])).size);
  const skipped = sum(/^\s*(\d+) skipped\b/gm).reduce((a, b) => a + b, 0);
  clearTimeout(watchdog);
  const abis = timedOut ? { status: 1 } : checkAbis();
  const exit = timedOut ? 1 : (code ?? (signal ? 1 : 0)) || (abis.status === 0 ? 0 : 1);
  // Every test passed, yet the run failed: the runner itself (compile error, crash) or a check above.
  if (exit !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exit(exit !== 0 ? exit : failed > 0 ? 1 : 0);
});

/** The ABI drift check over the artifacts that `hardhat test` has just built. */
function checkAbis() {
  const r = spawnSync("npx", ["tsx", "scripts/export-abis.ts", "--check"], { stdio: "inherit" });
  console.log(r.status === 0 ? "ABI check: abis.ts matches the artifacts" : "ABI check failed");
  return r;
}
