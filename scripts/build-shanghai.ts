/**
 * Compiles the deployable contracts for shanghai (ganache 7.9's last hardfork) with the
 * project's solcjs, cached under cache/shanghai/ (see test/support/shanghai.ts, which the ganache
 * tests use), and prints where the output is, how long it took and each contract's size.
 *
 *   npx tsx scripts/build-shanghai.ts [--force]
 */
import { buildShanghai } from "../test/support/shanghai.ts";

const r = buildShanghai({ force: process.argv.includes("--force") });
console.log(`${r.cached ? "cached" : "compiled"} in ${(r.ms / 1000).toFixed(1)} s: ${r.file}`);
for (const n of Object.keys(r.build.contracts).sort()) {
  const size = (r.build.contracts[n].deployedBytecode.length - 2) / 2;
  console.log(`  ${n.padEnd(22)} ${String(size).padStart(6)} bytes`);
}
