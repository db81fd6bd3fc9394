import { keccak256, type Address, type Hex } from "viem";
import { taskManagerAbi } from "../chain/abis.ts";
import { commitmentOf } from "../protocol/commitment.ts";
import { ProtocolEncodingError, SealedOutputError } from "../protocol/errors.ts";
import { openSealedOutput } from "../protocol/sealed.ts";
import type { OmniTensorContext } from "./context.ts";
import { commitmentInfo } from "./tasks.ts";

/** One node's commitment as the requester sees it, after opening its sealed output. */
export interface CommitmentReport {
  taskId: bigint;
  node: Address;
  /** 1 seat, 2 sampled verifier, 3 juror. */
  place: number;
  /** keccak256 of the canonical output; undefined when the sealed output did not open. */
  outputHash?: Hex;
  /** The canonical output bytes, and the same as text (UTF-8 JSON). */
  canonical?: Uint8Array;
  canonicalText?: string;
  salt?: Hex;
  /** True when the sealed output opened and matches the node's on-chain commitment. */
  ok: boolean;
  /** Why `ok` is false: the sealed output did not open, or its hash and salt do not give the commitment. */
  problem?: "DECRYPT_FAILED" | "COMMITMENT_MISMATCH";
  blockNumber: bigint;
  transactionHash: Hex;
}

/** Opens one sealed output and checks it against the node's on-chain commitment. */
export async function checkCommitment(
  ctx: OmniTensorContext,
  resultPrivateKey: Hex,
  ev: {
    taskId: bigint;
    node: Address;
    place: number;
    sealedOutput: Hex;
    blockNumber: bigint;
    transactionHash: Hex;
  },
): Promise<CommitmentReport> {
  const base = {
    taskId: ev.taskId,
    node: ev.node,
    place: ev.place,
    blockNumber: ev.blockNumber,
    transactionHash: ev.transactionHash,
  };
  let opened;
  try {
    opened = openSealedOutput(resultPrivateKey, ev.taskId, ev.node, ev.sealedOutput);
  } catch (e) {
    if (e instanceof SealedOutputError) return { ...base, ok: false, problem: "DECRYPT_FAILED" };
    throw e;
  }
  const outputHash = keccak256(opened.canonical);
  const onChain = await commitmentInfo(ctx, ev.taskId, ev.node);
  const ok = onChain.commitment === commitmentOf(ev.taskId, ev.node, outputHash, opened.salt);
  return {
    ...base,
    outputHash,
    canonical: opened.canonical,
    canonicalText: new TextDecoder().decode(opened.canonical),
    salt: opened.salt,
    ok,
    ...(ok ? {} : { problem: "COMMITMENT_MISMATCH" as const }),
  };
}

/** Many RPC providers cap eth_getLogs ranges: log reads go in windows of this many blocks. */
export const LOG_BLOCK_RANGE = 5_000n;

/**
 * Reads the `Committed` events of a task in [fromBlock, toBlock] (default: from the deployment's
 * start block to the latest block, in windows of `LOG_BLOCK_RANGE`) and checks each.
 */
export async function readCommitments(
  ctx: OmniTensorContext,
  params: {
    taskId: bigint;
    resultPrivateKey: Hex;
    fromBlock?: bigint;
    toBlock?: bigint;
    blockRange?: bigint;
  },
): Promise<CommitmentReport[]> {
  const range = params.blockRange ?? LOG_BLOCK_RANGE;
  if (range < 1n) throw new ProtocolEncodingError("blockRange", "must be at least 1");
  const from = params.fromBlock ?? BigInt(ctx.deployment.startBlock);
  const to = params.toBlock ?? (await ctx.publicClient.getBlockNumber({ cacheTime: 0 }));
  const out: CommitmentReport[] = [];
  for (let start = from; start <= to; start += range) {
    const end = start + range - 1n < to ? start + range - 1n : to;
    const logs = await ctx.publicClient.getContractEvents({
      address: ctx.deployment.contracts.TaskManager,
      abi: taskManagerAbi,
      eventName: "Committed",
      args: { taskId: params.taskId },
      fromBlock: start,
      toBlock: end,
      strict: true,
    });
    for (const log of logs) {
      out.push(
        await checkCommitment(ctx, params.resultPrivateKey, {
          taskId: log.args.taskId,
          node: log.args.node,
          place: Number(log.args.place),
          sealedOutput: log.args.sealedOutput,
          blockNumber: log.blockNumber,
          transactionHash: log.transactionHash,
        }),
      );
    }
  }
  return out;
}

/**
 * Watches a task's commitments: each `Committed` event is opened with the result key and
 * checked against the node's commitment, then passed to `onCommitment` (once per event, in
 * chain order, catching up from `fromBlock`). Returns `unwatch`.
 */
export function watchCommitments(
  ctx: OmniTensorContext,
  params: {
    taskId: bigint;
    resultPrivateKey: Hex;
    onCommitment: (report: CommitmentReport) => void | Promise<void>;
    onError?: (error: unknown) => void;
    fromBlock?: bigint;
    pollingIntervalMs?: number;
  },
): () => void {
  let next = params.fromBlock ?? BigInt(ctx.deployment.startBlock);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const interval = params.pollingIntervalMs ?? ctx.pollingIntervalMs ?? 1000;
  const tick = async () => {
    try {
      const head = await ctx.publicClient.getBlockNumber({ cacheTime: 0 });
      if (head >= next) {
        const reports = await readCommitments(ctx, {
          taskId: params.taskId,
          resultPrivateKey: params.resultPrivateKey,
          fromBlock: next,
          toBlock: head,
        });
        for (const r of reports) {
          if (stopped) return;
          await params.onCommitment(r);
        }
        next = head + 1n;
      }
    } catch (e) {
      params.onError?.(e);
    }
    if (!stopped) timer = setTimeout(tick, interval);
  };
  timer = setTimeout(tick, 0);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
