/**
 * The CLI's command table (issue 10): listed explicitly in cli/main.ts, every command file exists
 * and is reached only through its lazy loader, and neither the list nor any command's `--help`
 * loads onnxruntime, BullMQ or Redis: those are imported inside `run`. Checked on the static
 * import graph of the sources, then by running `--help` in a child process.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { COMMANDS, findCommand } from "../../../workers/src/cli/main.ts";

const ROOT = resolve(import.meta.dirname, "..", "..", "..");
const CLI = join(ROOT, "workers", "src", "cli");
const HEAVY = ["onnxruntime-node", "bullmq", "ioredis"];

/** Packages reached from `entry` through static imports only (not `import type`, not import()). */
async function staticPackages(entry: string): Promise<Set<string>> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  const re = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s*)?["']([^"']+)["']/gm;
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of (await readFile(file, "utf8")).matchAll(re)) {
      const spec = m[1];
      if (spec.startsWith(".")) todo.push(resolve(dirname(file), spec));
      else packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
    }
  }
  return packages;
}

describe("CLI command table", () => {
  it("lists every command explicitly; worker is an alias of node run", async () => {
    const names = COMMANDS.map((c) => c.words.join(" "));
    for (const n of [
      "task cancel",
      "task dispute",
      "task reveal",
      "token transfer",
      "dev faucet",
      "dev advance",
      "node run",
    ])
      assert.ok(names.includes(n), n);
    for (const c of COMMANDS)
      assert.ok(existsSync(join(CLI, "commands", `${c.words.join("-")}.ts`)), c.words.join(" "));
    assert.deepEqual(findCommand(["worker", "--config", "x"])?.entry.words, ["node", "run"]);
    assert.deepEqual(findCommand(["worker", "--config", "x"])?.rest, ["--config", "x"]);
    const main = await readFile(join(CLI, "main.ts"), "utf8");
    assert.doesNotMatch(main, /readdir|existsSync/, "no directory scan");
  });

  it("the list and each command's --help load no onnxruntime, BullMQ or Redis (static import graphs)", async () => {
    const top = await staticPackages(join(CLI, "main.ts"));
    assert.deepEqual([...top], [], "cli/main.ts imports no package at all");
    for (const c of COMMANDS) {
      const pk = await staticPackages(join(CLI, "commands", `${c.words.join("-")}.ts`));
      for (const h of HEAVY) assert.ok(!pk.has(h), `${c.words.join(" ")} loads ${h} before run`);
    }
  });

  it("--help of infer and node run answers without loading onnxruntime (a child process)", async () => {
    const probe = `
      import { createRequire } from "node:module";
      const { main } = await import(${JSON.stringify(join(CLI, "main.ts"))});
      const log = console.log; console.log = () => {};
      for (const a of [["--help"], ["infer", "--help"], ["node", "run", "--help"], ["model", "check", "--help"]]) await main(a);
      console.log = log;
      const req = createRequire(import.meta.url);
      const loaded = Object.keys(req.cache).filter((k) => /onnxruntime|bullmq|ioredis/.test(k));
      console.log(JSON.stringify(loaded));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", probe],
      {
        cwd: ROOT,
      },
    );
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").pop()!), []);
  });
});
