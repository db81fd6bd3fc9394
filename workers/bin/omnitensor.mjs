#!/usr/bin/env node
// Entry point of the `omnitensor` CLI: runs the compiled JavaScript in workers/dist (built by
// `npm run build:cli`, which `npm ci` runs through the `prepare` script).
// - In a source checkout that is not built, or whose TypeScript is newer than the build (someone
//   edited workers/src since), or with OMNITENSOR_FROM_SOURCE=1: runs the sources through tsx
//   (slower; said on a terminal), so that a stale build never runs in place of the code being
//   tested. OMNITENSOR_FROM_SOURCE=0 forces the build.
// - Not built and no sources (an installed copy): says so and how to build, exit 1.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
const sources = fileURLToPath(new URL("../src/", import.meta.url));

/** Whether any .ts file under `dir` was modified after `time` (ms). */
function newerThan(dir, time) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (
      e.isDirectory()
        ? e.name !== "dist" && newerThan(p, time)
        : e.name.endsWith(".ts") && statSync(p).mtimeMs > time
    )
      return true;
  }
  return false;
}

const built = existsSync(compiled);
const hasSources = existsSync(`${sources}cli/main.ts`);
const stale = built && hasSources && newerThan(sources, statSync(compiled).mtimeMs);
const fromSource =
  process.env.OMNITENSOR_FROM_SOURCE === "1" ||
  (process.env.OMNITENSOR_FROM_SOURCE !== "0" && hasSources && (stale || !built));
let main;
if (fromSource) {
  // A human at a terminal is told; scripts and tests just get the current code.
  if (process.stderr.isTTY && process.env.OMNITENSOR_FROM_SOURCE !== "1")
    console.error(
      built
        ? "omnitensor: workers/src is newer than workers/dist: running the sources (npm run build:cli to rebuild)"
        : "omnitensor: the CLI is not built (npm run build:cli; npm ci does it): running the TypeScript sources, slower",
    );
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
} else if (built) {
  ({ main } = await import(compiled.href));
} else {
  console.error(
    "omnitensor: the CLI is not built (workers/dist/cli/main.js is missing).\n" +
      "Run `npm run build:cli` (npm ci does it), or set OMNITENSOR_FROM_SOURCE=1 to run the TypeScript sources (slower).",
  );
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
