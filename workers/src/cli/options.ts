/**
 * Shared plumbing of the user CLI commands (workers/src/cli/commands/*.ts): the common options,
 * which key signs, connecting, and turning SDK errors into CLI errors. Keys are never printed.
 *
 * Which key a command signs with (one rule, printed as "signing as 0x… (from …)" on stderr):
 *   requester commands (model register, task *, token transfer): --key, else $REQUESTER_PRIVATE_KEY, else $PRIVATE_KEY
 *   node commands (node stake / unstake / status / run):          --key, else $NODE_PRIVATE_KEY, else $PRIVATE_KEY
 * A role's own variable always wins over the generic PRIVATE_KEY.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Address, Hex } from "viem";
import { getAddress, isAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
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

/** Whose key a command signs with: the requester's or the node's. */
export type KeyRole = "requester" | "node";

/** The environment variable of each role, tried before PRIVATE_KEY. */
export const KEY_ENV: Readonly<Record<KeyRole, string>> = {
  requester: "REQUESTER_PRIVATE_KEY",
  node: "NODE_PRIVATE_KEY",
};

/** The help lines of the common options, for a command of `role`. */
export function commonHelp(role: KeyRole = "requester"): string {
  return `Connection options:
  --rpc <url>           JSON-RPC endpoint (default: $RPC_URL, else http://127.0.0.1:8545)
  --key <0x…>           private key that signs (default: $${KEY_ENV[role]}, else $PRIVATE_KEY);
                        prefer the environment variable: command lines end up in shell history
  --deployments <dir>   folder of <chainId>.json address files (default: ./deployments)`;
}

/** The help lines of the common options for requester commands. */
export const COMMON_HELP = commonHelp("requester");

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

/** A key and where it came from ("--key" or the environment variable's name). */
export interface ResolvedKey {
  key: Hex;
  source: string;
}

/**
 * The private key of `role`: --key, else the role's variable, else PRIVATE_KEY; checked (the
 * value is never shown). Undefined when none is set.
 */
export function resolveKey(
  flag: string | undefined,
  role: KeyRole = "requester",
  env: NodeJS.ProcessEnv = process.env,
): ResolvedKey | undefined {
  const candidates: [string, string | undefined][] = [
    ["--key", flag],
    [KEY_ENV[role], env[KEY_ENV[role]]],
    ["PRIVATE_KEY", env.PRIVATE_KEY],
  ];
  const found = candidates.find(([, v]) => v !== undefined && v !== "");
  if (!found) return undefined;
  const [source, raw] = found;
  const k = raw!.startsWith("0x") ? raw! : `0x${raw}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(k))
    throw new CliError(
      `${source}: not a private key (expected 0x followed by 64 hex digits; the value is not shown)`,
    );
  return { key: k as Hex, source };
}

/** The address of a key (for "signing as"). */
export function addressOfKey(key: Hex): Address {
  return privateKeyToAccount(key).address;
}

/** Prints which account signs, on stderr (stdout stays the command's result). */
export function announceSigner(address: Address, source: string): void {
  console.error(`signing as ${address} (from ${source})`);
}

/**
 * Connects with the common options. `sign` names the role of the key when the command sends
 * transactions: a missing key is then an error that says how to give one, and the signing
 * account is printed. `role` alone (sign false) loads the key for reads of "my own" account.
 */
export async function connectCli(
  values: { rpc?: string; key?: string; deployments?: string },
  sign: boolean,
  role: KeyRole = "requester",
): Promise<OmniTensorContext> {
  const resolved = resolveKey(values.key, role);
  if (sign && !resolved)
    throw new CliError(
      `this command signs a transaction: set ${KEY_ENV[role]} (or PRIVATE_KEY, or pass --key 0x…) to the account's private key`,
    );
  const ctx = await connect({
    rpcUrl: values.rpc ?? defaultRpcUrl(),
    privateKey: resolved?.key,
    deploymentDir: values.deployments,
    pollingIntervalMs: 500,
  });
  if (sign && ctx.walletClient) announceSigner(ctx.walletClient.account.address, resolved!.source);
  return ctx;
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
  if (!isAddress(value, { strict: false })) throw new CliError(`${name}: "${value}" is not an address`);
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

/** Prints a JSON value with bigints as decimal strings. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
}

/** A chain timestamp as ISO time. */
export function isoTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

/** Chain ids of local development chains (Hardhat, anvil: 31337; ganache: 1337). */
export const LOCAL_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);
