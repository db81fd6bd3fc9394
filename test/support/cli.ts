/**
 * The CLI tests' helpers: the `omnitensor` dispatcher run in this process with what it prints
 * captured, the real binary run as a process, a folder with the deployment and the result keys,
 * and a node's commit and reveal with the real §7 encodings.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { main } from "../../workers/src/cli/main.ts";
import { taskManagerAbi } from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { commitmentOf, deriveSalt, outputHashOf, sealOutput } from "../../workers/src/protocol/index.ts";
import { devAddress, devKey, ROOT, sendAs, type LocalChain } from "./devnet.ts";

/** The CLI's entry, as a user runs it. */
export const BIN = join(ROOT, "workers", "bin", "omnitensor.mjs");

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

/** Runs the real binary (`node workers/bin/omnitensor.mjs <args>`) to its end, `input` on stdin (60 s at most). */
export function runBinSync(
  args: string[],
  input?: string,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    input,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the real binary as a process; `onLine` sees each line of stdout as it comes. */
export function runBin(
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let partial = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      partial += d;
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const l of lines) onLine?.(l);
    });
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("close", (code) => res({ code: code ?? 1, out, err }));
  });
}

/** A temporary folder of the CLI: the deployment (`--deployments`), the result keys (`--key-dir`). */
export interface CliFolder {
  dir: string;
  deployments: string;
  keyDir: string;
  /** `--rpc <chain> --deployments <folder>`. */
  conn: string[];
  /** Deletes the folder. */
  remove(): Promise<void>;
}

/** Makes a CliFolder (under the system's temporary folder, named `prefix`…) for `d` on `chain`. */
export async function cliFolder(chain: LocalChain, d: Deployment, prefix: string): Promise<CliFolder> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const deployments = join(dir, "deployments");
  await mkdir(deployments);
  await writeFile(join(deployments, `${chain.chainId}.json`), JSON.stringify(d));
  return {
    dir,
    deployments,
    keyDir: join(dir, "keys"),
    conn: ["--rpc", chain.rpcUrl, "--deployments", deployments],
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The public result key that `task create` saved for `taskId` under `keyDir`. */
export async function savedResultKey(keyDir: string, chainId: number, taskId: bigint): Promise<Hex> {
  const file = join(keyDir, String(chainId), `task-${taskId}.json`);
  return (JSON.parse(await readFile(file, "utf8")) as { publicKey: Hex }).publicKey;
}

/** A node's protocol message to TaskManager: its salt for the task, and its transaction. */
function asNode(chain: LocalChain, d: Deployment, index: number, taskId: bigint) {
  const domain = { chainId: chain.chainId, verifyingContract: d.contracts.TaskManager };
  return {
    salt: deriveSalt(devKey(index), domain, taskId),
    send: (fn: string, args: readonly unknown[]) =>
      sendAs(chain.rpcUrl, index, d.contracts.TaskManager, taskManagerAbi, fn, args, d.chainId),
  };
}

/** Node `index` (a Hardhat account) commits `output` to task `taskId`, sealed to `resultKey`. */
export async function nodeCommit(
  chain: LocalChain,
  d: Deployment,
  index: number,
  taskId: bigint,
  resultKey: Hex,
  output: string,
): Promise<void> {
  const node = asNode(chain, d, index, taskId);
  const salt = await node.salt;
  const sealed = sealOutput(resultKey, taskId, devAddress(index), salt, output);
  await node.send("commit", [
    taskId,
    commitmentOf(taskId, devAddress(index), outputHashOf(output), salt),
    sealed,
  ]);
}

/** Node `index` reveals `output` for task `taskId`. */
export async function nodeReveal(
  chain: LocalChain,
  d: Deployment,
  index: number,
  taskId: bigint,
  output: string,
): Promise<void> {
  const node = asNode(chain, d, index, taskId);
  await node.send("reveal", [taskId, devAddress(index), outputHashOf(output), await node.salt]);
}
