/**
 * A checkpointed log watcher that works on any RPC: eth_getLogs in block ranges up to
 * `head − confirmations`, the last processed block stored in a Checkpoint (Redis), catching up
 * after a restart, then polling for new blocks. An unreachable RPC is logged once per outage and
 * retried with backoff; the watcher never exits on its own. `stop()` ends it.
 */
import type { AbiEvent, Address, Chain, Log, PublicClient, Transport } from "viem";
import type { Logger } from "pino";
import type { Checkpoint } from "./checkpoint.ts";
import { backoffMs, sleep } from "./retry.ts";

/** The newest block seen (not only the confirmed one): its number and timestamp (chain time). */
export interface Head {
  number: bigint;
  timestamp: bigint;
  /** `number − confirmations`: the last block whose logs have been handed over. */
  safe: bigint;
}

export interface WatchOptions {
  client: PublicClient<Transport, Chain>;
  address: Address | Address[];
  /** ABI items of the events to fetch (viem decodes them). */
  events: readonly AbiEvent[];
  /** First block to scan when the checkpoint is empty. */
  fromBlock: bigint;
  confirmations: number;
  pollIntervalMs: number;
  blockRange: number;
  checkpoint: Checkpoint;
  logger: Logger;
  /**
   * Receives the decoded logs of one range in chain order. If it throws, the same range is
   * fetched again later (handlers must be idempotent); the checkpoint moves only after it succeeds.
   */
  onLogs(logs: Log[], range: { from: bigint; to: bigint }): Promise<void>;
  /** Called after each poll with the head (for chain-time schedules); errors are logged. */
  onHead?(head: Head): Promise<void>;
  /**
   * Called when polling starts failing (true, with the first error: the RPC, the checkpoint's
   * store or a handler) and when it works again (false).
   */
  onRpcState?(down: boolean, error?: unknown): void;
}

export interface Watcher {
  /** Resolves once the watcher has caught up with the head for the first time. */
  caughtUp: Promise<void>;
  /** The last poll's head, if any. */
  head(): Head | undefined;
  /** Stops polling and waits for the current round to end. Idempotent. */
  stop(): Promise<void>;
}

/** Logs of one range, in chain order. */
async function fetchRange(opts: WatchOptions, from: bigint, to: bigint): Promise<Log[]> {
  const logs = (await opts.client.getLogs({
    address: opts.address,
    events: opts.events,
    fromBlock: from,
    toBlock: to,
    strict: true,
  })) as Log[];
  return logs.sort((a, b) =>
    a.blockNumber === b.blockNumber
      ? (a.logIndex ?? 0) - (b.logIndex ?? 0)
      : a.blockNumber! < b.blockNumber!
        ? -1
        : 1,
  );
}

/** One poll: reads the head, hands over every range up to `head − confirmations`, returns the head. */
async function pollOnce(opts: WatchOptions, signal: AbortSignal): Promise<Head> {
  const block = await opts.client.getBlock({ blockTag: "latest" });
  const safe = block.number - BigInt(opts.confirmations);
  const head = { number: block.number, timestamp: block.timestamp, safe };
  const cp = await opts.checkpoint.get();
  let next = cp === undefined ? opts.fromBlock : cp + 1n;
  while (next <= safe && !signal.aborted) {
    const end = next + BigInt(opts.blockRange) - 1n;
    const to = end < safe ? end : safe;
    await opts.onLogs(await fetchRange(opts, next, to), { from: next, to });
    await opts.checkpoint.set(to);
    next = to + 1n;
  }
  return head;
}

export function watchLogs(opts: WatchOptions): Watcher {
  const controller = new AbortController();
  const signal = controller.signal;
  let lastHead: Head | undefined;
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((r) => (markCaughtUp = r));
  let failures = 0;

  async function round(): Promise<void> {
    lastHead = await pollOnce(opts, signal);
    if (!signal.aborted) {
      markCaughtUp();
      if (opts.onHead) await opts.onHead(lastHead);
    }
  }

  function failed(e: unknown): number {
    const msg = (e as Error).message?.split("\n")[0];
    if (failures === 0) {
      opts.logger.error(
        { err: msg },
        "watcher: RPC or handler failed; retrying with backoff (no events are lost)",
      );
      opts.onRpcState?.(true, e);
    } else opts.logger.debug({ err: msg, failures }, "watcher retry");
    failures++;
    return backoffMs(failures - 1, Math.min(500, opts.pollIntervalMs), 10_000);
  }

  const loop = (async () => {
    while (!signal.aborted) {
      try {
        await round();
        if (failures > 0) {
          opts.logger.info({ after: failures }, "RPC reachable again; watcher resumed");
          opts.onRpcState?.(false);
        }
        failures = 0;
        await sleep(opts.pollIntervalMs, signal);
      } catch (e) {
        if (signal.aborted) break;
        await sleep(failed(e), signal);
      }
    }
  })();

  let stopped: Promise<void> | undefined;
  return {
    caughtUp,
    head: () => lastHead,
    stop() {
      if (!stopped) {
        controller.abort();
        stopped = loop;
      }
      return stopped;
    },
  };
}
