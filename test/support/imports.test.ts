/**
 * The direction between scripts/ and test/ (issue 10): scripts import shared test code only from
 * test/support/ (the devnet harness, the model catalogue, the vectors, the shanghai build), and
 * nothing in test/ imports scripts/ (a test runs a script as a process, as a user does).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { ROOT } from "./devnet.ts";

const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gm;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|mjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Every relative import of `file`, resolved to a path relative to the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)]
    .map((m) => m[1])
    .filter((p) => p.startsWith("."))
    .map((p) => relative(ROOT, resolve(file, "..", p)));
}

describe("scripts/ and test/ import in one direction", () => {
  it("no file in test/ imports scripts/", () => {
    const bad = tsFiles(join(ROOT, "test")).flatMap((f) =>
      importsOf(f)
        .filter((p) => p.startsWith("scripts/"))
        .map((p) => `${relative(ROOT, f)} → ${p}`),
    );
    assert.deepEqual(bad, []);
  });

  it("scripts/ import from test/ only through test/support/", () => {
    const bad = tsFiles(join(ROOT, "scripts")).flatMap((f) =>
      importsOf(f)
        .filter((p) => p.startsWith("test/") && !p.startsWith("test/support/"))
        .map((p) => `${relative(ROOT, f)} → ${p}`),
    );
    assert.deepEqual(bad, []);
  });
});
