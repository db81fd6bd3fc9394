/** Runs the `omnitensor` dispatcher in this process and captures what it prints (CLI tests). */
import { main } from "../../workers/src/cli/main.ts";

const KEY_VARS = ["PRIVATE_KEY", "REQUESTER_PRIVATE_KEY", "NODE_PRIVATE_KEY"];

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `omnitensor <args>` in this process. With `env`, the key variables are cleared for the
 * call and `env` is applied on top (restored afterwards); without it the environment is untouched.
 */
export async function runIn(args: string[], env?: Record<string, string | undefined>): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  const saved: Record<string, string | undefined> = {};
  if (env)
    for (const k of [...KEY_VARS, ...Object.keys(env)]) {
      saved[k] = process.env[k];
      delete process.env[k];
      if (env[k] !== undefined) process.env[k] = env[k];
    }
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    const code = await main(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
