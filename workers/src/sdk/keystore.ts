/**
 * Where the CLI keeps result keys: one file per task, `<dir>/<chainId>/task-<id>.json`, mode 0600.
 * Losing a task's key means its sealed outputs can no longer be opened (the result still arrives
 * through `deliver`).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { assertBytes32 } from "../protocol/bytes.ts";
import { OmniTensorError } from "../protocol/errors.ts";
import type { ResultKeyPair } from "../protocol/sealed.ts";

/** The default key folder: OMNITENSOR_HOME, else ~/.omnitensor. */
export function defaultKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.OMNITENSOR_HOME || join(homedir(), ".omnitensor");
}

export function resultKeyPath(dir: string, chainId: number, taskId: bigint): string {
  return join(dir, String(chainId), `task-${taskId}.json`);
}

/** Saves a task's result key (private, 0600). */
export async function saveResultKey(
  dir: string,
  chainId: number,
  taskId: bigint,
  key: ResultKeyPair,
): Promise<string> {
  const path = resultKeyPath(dir, chainId, taskId);
  await mkdir(join(dir, String(chainId)), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify({ chainId, taskId: taskId.toString(), ...key }, null, 2)}\n`, {
    mode: 0o600,
  });
  return path;
}

/** Loads a task's result key; `OmniTensorError` (code NO_RESULT_KEY) when it is not there. */
export async function loadResultKey(dir: string, chainId: number, taskId: bigint): Promise<ResultKeyPair> {
  const path = resultKeyPath(dir, chainId, taskId);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new OmniTensorError(
      `no result key for task ${taskId} on chain ${chainId} at ${path}: only the account that created the task holds it (pass --key-dir if you keep keys elsewhere)`,
      "NO_RESULT_KEY",
    );
  }
  const j = JSON.parse(text) as { privateKey?: string; publicKey?: string };
  return {
    privateKey: assertBytes32(`${path}: privateKey`, j.privateKey ?? "") as Hex,
    publicKey: assertBytes32(`${path}: publicKey`, j.publicKey ?? "") as Hex,
  };
}
