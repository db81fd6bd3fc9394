/**
 * The SDK as a package (issue 10): `tsc -p workers/src/sdk/tsconfig.json` compiles it with the
 * protocol encodings, chain reads and pure inference modules it needs, and the compiled import
 * graph (static and dynamic imports, followed from dist/sdk/index.js) holds no Redis, BullMQ or
 * onnxruntime, and only packages that workers/src/sdk/package.json lists. The compiled entry
 * point loads and exports the actions.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const ROOT = resolve(import.meta.dirname, "..", "..", "..");
const FORBIDDEN = ["bullmq", "ioredis", "onnxruntime-node", "hardhat", "pino", "prom-client", "zod"];

/** Every module reached from `entry` through import statements and import() calls: relative files and bare specifiers. */
export async function importGraph(entry: string): Promise<{ files: Set<string>; packages: Set<string> }> {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  const re =
    /(?:^|[^\w.])(?:import|export)\s*(?:[^'"()]*?\sfrom\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = await readFile(file, "utf8");
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith(".")) todo.push(resolve(dirname(file), spec));
      else if (!spec.startsWith("node:"))
        packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
    }
  }
  return { files, packages };
}

describe("the SDK package", () => {
  let out: string;
  before(async () => {
    // Inside the repository (a git-ignored folder), so that the compiled files resolve viem from node_modules.
    await mkdir(join(ROOT, ".omnitensor"), { recursive: true });
    out = await mkdtemp(join(ROOT, ".omnitensor", "sdk-build-"));
    await writeFile(join(out, "package.json"), '{"type":"module"}\n');
    await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, "node_modules", "typescript", "bin", "tsc"),
        "-p",
        "workers/src/sdk/tsconfig.json",
        "--outDir",
        out,
      ],
      { cwd: ROOT },
    );
  });
  after(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("compiles with tsc; its import graph holds no Redis, BullMQ or onnxruntime, only its listed dependencies", async () => {
    const entry = join(out, "sdk", "index.js");
    assert.ok(existsSync(entry), "dist/sdk/index.js");
    assert.ok(existsSync(join(out, "sdk", "index.d.ts")), "types are emitted");
    const { files, packages } = await importGraph(entry);
    assert.ok(files.size > 10, `followed the graph (${files.size} files)`);
    for (const f of files)
      assert.ok(
        !/[/\\](node|cli|inference[/\\]runtime)[/\\]/.test(f.slice(out.length)),
        `no node, cli or runtime module: ${f}`,
      );
    for (const p of FORBIDDEN) assert.ok(!packages.has(p), `the SDK imports ${p}`);
    const manifest = JSON.parse(await readFile(join(ROOT, "workers/src/sdk/package.json"), "utf8")) as {
      name: string;
      dependencies: Record<string, string>;
      exports: Record<string, { types: string; default: string }>;
    };
    for (const p of packages)
      assert.ok(p in manifest.dependencies, `${p} is listed in the SDK's dependencies`);
    assert.equal(manifest.name, "@omnitensor/sdk");
    assert.equal(manifest.exports["."].default, "./dist/sdk/index.js");
  });

  it("the compiled entry point loads and exports the actions and the error base", async () => {
    const sdk = (await import(pathToFileURL(join(out, "sdk", "index.js")).href)) as Record<string, unknown>;
    for (const name of [
      "connect",
      "createTask",
      "waitForResult",
      "cancel",
      "dispute",
      "revealLateNodes",
      "transferOmnit",
      "OmniTensorClient",
      "OmniTensorError",
      "InvalidTaskInputError",
    ])
      assert.ok(sdk[name], `exports ${name}`);
  });
});
