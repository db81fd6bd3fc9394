/** Runs a script of scripts/ as a separate process, as a user runs it (test/ never imports scripts/). */
import { spawn } from "node:child_process";
import { killGroup, ROOT } from "./devnet.ts";

/**
 * Runs `npx tsx <args>` from the repository root in its own process group (NO_COLOR=1); the group
 * is killed after `timeoutMs`. Resolves with the exit code and stdout and stderr together.
 */
export async function runScript(
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; out: string }> {
  const child = spawn("npx", ["tsx", ...args], {
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
