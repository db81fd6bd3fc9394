/**
 * TaskManager's events as the end-to-end tests read them (no tests here; importing has no side
 * effects): the events of a seat's life, their logs from block 0, and the transactions that
 * carried them (to check who sent which call).
 */
import assert from "node:assert/strict";
import {
  decodeFunctionData,
  parseAbiItem,
  type Abi,
  type AbiEvent,
  type Address,
  type Hash,
  type PublicClient,
} from "viem";
import { taskManagerAbi } from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";

/** The events of a seat: its commitment, its reveal and its claim. */
export const seatEvents = {
  committed: parseAbiItem(
    "event Committed(uint256 indexed taskId, address indexed node, uint8 place, bytes sealedOutput)",
  ),
  revealed: parseAbiItem("event Revealed(uint256 indexed taskId, address indexed node, bytes32 outputHash)"),
  claimed: parseAbiItem("event Claimed(uint256 indexed taskId, address indexed node, uint256 amount)"),
} as const;

/** A log as the tests read it: its decoded arguments and its transaction. */
export interface TaskLog {
  args: Record<string, unknown>;
  transactionHash: Hash;
}

/** TaskManager's logs of `event` since block 0, filtered by its indexed `args`. */
export function taskLogs(
  publicClient: PublicClient,
  d: Deployment,
  event: AbiEvent,
  args?: Record<string, unknown>,
): Promise<TaskLog[]> {
  return publicClient.getLogs({
    address: d.contracts.TaskManager,
    event,
    args,
    fromBlock: 0n,
  } as Parameters<typeof publicClient.getLogs>[0]) as Promise<TaskLog[]>;
}

/**
 * The transactions that carried `entries` (logs), each checked to be `from`'s call of TaskManager
 * function `fn`; the gas each used.
 */
export async function carriers(
  publicClient: PublicClient,
  entries: TaskLog[],
  fn: string,
  from: Address,
): Promise<Map<Hash, bigint>> {
  const gas = new Map<Hash, bigint>();
  for (const hash of new Set(entries.map((e) => e.transactionHash))) {
    const [tx, receipt] = await Promise.all([
      publicClient.getTransaction({ hash }),
      publicClient.getTransactionReceipt({ hash }),
    ]);
    assert.equal(tx.from.toLowerCase(), from.toLowerCase(), `${fn} sent by ${from}`);
    assert.equal(decodeFunctionData({ abi: taskManagerAbi as Abi, data: tx.input }).functionName, fn);
    gas.set(hash, receipt.gasUsed);
  }
  return gas;
}

/** The total of a map's values (gas per transaction). */
export const total = (m: Map<Hash, bigint>): bigint => [...m.values()].reduce((a, b) => a + b, 0n);

/** The fields of `getTask` the relay tests read. */
export interface TaskView {
  status: number;
  seatHolders: readonly Address[];
  revealedCount: number;
  seatDeadline: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  workerShare: bigint;
}

/** blockTimeS × safetyBlocks of the relay tests: a batch goes out once chain time is this close to its earliest deadline. */
export const RELAY_MARGIN_S = 600n;

/**
 * Relay batching for tests whose counts must not depend on the machine's speed: a batch goes out
 * when `entries` wait (the max delay is longer than any test) or an entry's deadline is
 * RELAY_MARGIN_S away by chain time.
 */
export function relayBatching(entries: number) {
  return { batchSize: entries, maxDelayMs: 3_600_000, blockTimeS: 1, safetyBlocks: Number(RELAY_MARGIN_S) };
}
