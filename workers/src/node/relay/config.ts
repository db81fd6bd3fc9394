/**
 * The relay-mode fields of the node configuration (docs/operator.md "Relay mode"). The node keys
 * come from the environment only: NODE_KEYS (comma-separated) or the file NODE_KEYS_FILE (one key
 * a line, `#` comments); the relayer's key is RELAYER_PRIVATE_KEY, else the node key variable
 * (NODE_PRIVATE_KEY / PRIVATE_KEY).
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { getAddress, isAddress } from "viem";
import { ConfigError } from "../config-error.ts";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** How relay mode gathers entries into batches (read only when nodeKeys is set). */
export const relaySchema = z.object({
  /** Entries per commitBatch / revealBatch / claimBatch (at most 64: a batch stays far below a block's gas): a full batch is sent at once. */
  batchSize: int(1, 64).default(16),
  /** Longest wall-clock wait of an entry for its batch to fill, milliseconds. */
  maxDelayMs: int(0, 86_400_000).default(3000),
  /** Block time of the chain (seconds): the safety margin is blockTimeS × safetyBlocks. */
  blockTimeS: int(1, 3600).default(12),
  /** A batch is sent once chain time + blockTimeS × safetyBlocks reaches its earliest entry's deadline. */
  safetyBlocks: int(0, 10_000).default(5),
  /** Whether each node key withdraws its own credit (it then needs ETH for that gas). */
  withdraw: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]).default(false),
  /** Port of the HTTP door where other nodes post their signed entries (relay/http.ts); -1: off, 0: any free port. */
  port: int(-1, 65535).default(-1),
  host: z.string().default("127.0.0.1"),
  /** Node addresses whose posted entries are relayed (empty: any node). */
  allow: z
    .array(
      z
        .string()
        .refine((s) => isAddress(s, { strict: false }), "must be an EVM address")
        .transform((s) => getAddress(s)),
    )
    .default([]),
  /** Entries one node may post at the door per minute (a token bucket per node address); 0: no limit. */
  maxEntriesPerMinute: int(0, 1_000_000).default(60),
});

/** The keys of a key file: one per line, blank lines and `#` comments ignored. */
async function readKeyFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new ConfigError(
      `nodeKeysFile ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return text
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
}

/**
 * Fills the relay fields of a merged configuration: the node keys of the key file, and the
 * relayer's key from RELAYER_PRIVATE_KEY (refused without node keys: it would run as a node).
 */
export async function relayFields(
  merged: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Promise<Record<string, unknown>> {
  const out = { ...merged };
  if (typeof out.nodeKeysFile === "string") out.nodeKeys = await readKeyFile(out.nodeKeysFile);
  const relayerKey = env.RELAYER_PRIVATE_KEY;
  if (relayerKey) {
    if (!Array.isArray(out.nodeKeys) || out.nodeKeys.length === 0)
      throw new ConfigError(
        "RELAYER_PRIVATE_KEY is set but no node keys (NODE_KEYS or NODE_KEYS_FILE): relay mode needs both",
      );
    out.privateKey = relayerKey;
  }
  return out;
}
