/**
 * Shared plumbing of the user CLI commands (workers/src/cli/{model,task,node,deployment}-*.ts):
 * the common options, connecting, and turning SDK errors into CLI errors. Keys are never printed.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Address, Hex } from "viem";
import { getAddress, isAddress } from "viem";
import { CliError } from "./types.ts";
import { OmniTensorError } from "../protocol/errors.ts";
import { connect, defaultRpcUrl, type OmniTensorContext } from "../sdk/context.ts";

/** Options every user command takes. */
export const COMMON_OPTIONS = {
  rpc: { type: "string" },
  key: { type: "string" },
  deployments: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

/** The help lines of the common options. */
export const COMMON_HELP = `Connection options:
  --rpc <url>           JSON-RPC endpoint (default: $RPC_URL, else http://127.0.0.1:8545)
  --key <0x…>           private key that signs (default: $PRIVATE_KEY, else $REQUESTER_PRIVATE_KEY);
                        prefer the environment variable: command lines end up in shell history
  --deployments <dir>   folder of <chainId>.json address files (default: ./deployments)`;

/** parseArgs with the common options; a usage error becomes a CliError carrying the help. */
export function parseCli<O extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: O,
  help: string,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      strict: true,
      allowPositionals,
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${help}`, 2);
  }
}

/** The private key from --key or the environment, checked; undefined when none is set. */
export function resolveKey(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Hex | undefined {
  const key = flag ?? env.PRIVATE_KEY ?? env.REQUESTER_PRIVATE_KEY;
  if (key === undefined || key === "") return undefined;
  const k = key.startsWith("0x") ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(k))
    throw new CliError(
      `--key: not a private key (expected 0x followed by 64 hex digits; the value is not shown)`,
    );
  return k as Hex;
}

/** Connects with the common options; `needKey` makes a missing key an error that says how to give one. */
export async function connectCli(
  values: { rpc?: string; key?: string; deployments?: string },
  needKey: boolean,
): Promise<OmniTensorContext> {
  const privateKey = resolveKey(values.key);
  if (needKey && !privateKey)
    throw new CliError(
      "this command signs a transaction: set PRIVATE_KEY (or pass --key 0x…) to the account's private key",
    );
  return connect({
    rpcUrl: values.rpc ?? defaultRpcUrl(),
    privateKey,
    deploymentDir: values.deployments,
    pollingIntervalMs: 500,
  });
}

/** Parses a task id (a positive integer). */
export function parseTaskId(value: string | undefined, help: string): bigint {
  if (value === undefined) throw new CliError(`a task id is required\n\n${help}`, 2);
  if (!/^\d+$/.test(value) || BigInt(value) === 0n)
    throw new CliError(`task id "${value}" must be a positive integer`);
  return BigInt(value);
}

/** Parses an address option, naming it in the error. */
export function parseAddress(name: string, value: string): Address {
  if (!isAddress(value, { strict: false })) throw new CliError(`--${name}: "${value}" is not an address`);
  return getAddress(value);
}

/** Runs a command body; SDK errors become CliErrors (their message shown as is, no stack). */
export async function runCli(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof OmniTensorError) throw new CliError(err.message);
    throw err;
  }
}

/** A chain timestamp as ISO time. */
export function isoTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}
