/**
 * Local development chains (Hardhat, anvil: chain id 31337; ganache: 1337): the JSON-RPC methods
 * that only they have (setting balances, impersonating an account, moving the clock). Every
 * helper refuses any other chain with a clear error.
 */
import { CliError } from "./types.ts";
import { LOCAL_CHAIN_IDS } from "./options.ts";

/** One JSON-RPC call; the node's error message becomes the Error's message. */
export async function rawRpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
  } catch (e) {
    throw new CliError(
      `cannot reach the RPC at ${url} (${(e as Error).message}): start a local chain (npm run node)`,
    );
  }
  const body = (await res.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error) throw new Error(body.error.message ?? JSON.stringify(body.error));
  return body.result;
}

/** The chain id, or a CliError unless it is a local development chain. */
export async function requireLocalChain(url: string, what: string): Promise<number> {
  const chainId = Number(BigInt((await rawRpc(url, "eth_chainId")) as string));
  if (!LOCAL_CHAIN_IDS.has(chainId))
    throw new CliError(
      `${what} works on local development chains only (chain id 31337 or 1337); ${url} is chain ${chainId}`,
    );
  return chainId;
}

/** Tries each method in turn (Hardhat, anvil, ganache names); the first that exists answers. */
export async function firstSupported(url: string, calls: [string, unknown[]][]): Promise<string> {
  const errors: string[] = [];
  for (const [method, params] of calls) {
    try {
      await rawRpc(url, method, params);
      return method;
    } catch (e) {
      errors.push(`${method}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new CliError(
    `this chain supports none of ${calls.map((c) => c[0]).join(", ")} (${errors.join("; ")})`,
  );
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** "5h", "90m", "1d12h", "3600" (seconds) → seconds. */
export function parseDuration(text: string): number {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t);
  if (!/^(\d+(\.\d+)?[smhdw])+$/.test(t))
    throw new CliError(`"${text}" is not a duration: use e.g. 5h, 90m, 1d12h, 30s or a number of seconds`, 2);
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) total += Number(m[1]) * UNITS[m[2]];
  return Math.round(total);
}
