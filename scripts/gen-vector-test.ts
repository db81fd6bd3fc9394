/**
 * Writes the shared §7 test vectors built by test/support/vectors.ts (PROTOCOL.md §7):
 *   test/vectors/protocol.json            read by the TypeScript tests (and by outside tools)
 *   test/contracts/ProtocolVectors.t.sol   the same vectors checked in Solidity
 *
 *   npx tsx scripts/gen-vector-test.ts           (writes both files)
 *   npx tsx scripts/gen-vector-test.ts --check   (exit 1 if either file is out of date)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { JSON_PATH, SOL_PATH, buildVectors, renderJson, renderSolidity } from "../test/support/vectors.ts";

const ROOT = resolve(import.meta.dirname, "..");

function isStale(path: string, text: string): boolean {
  try {
    return readFileSync(path, "utf8") !== text;
  } catch {
    return true; // missing counts as stale
  }
}

async function main(): Promise<number> {
  const v = await buildVectors();
  const files: [string, string][] = [
    [resolve(ROOT, JSON_PATH), renderJson(v)],
    [resolve(ROOT, SOL_PATH), renderSolidity(v)],
  ];
  if (process.argv.includes("--check")) {
    const stale = files.filter(([path, text]) => isStale(path, text));
    for (const [path] of stale)
      console.error(`${path} is out of date: run npx tsx scripts/gen-vector-test.ts`);
    return stale.length ? 1 : 0;
  }
  for (const [path, text] of files) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
  return 0;
}

process.exitCode = await main();
