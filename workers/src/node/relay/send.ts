/**
 * How relay mode sends one batch (docs/operator.md "Relay mode"): every entry is simulated on
 * its own first (eth_estimateGas of commitWithSig / reveal as the relayer), and an entry that would
 * revert is left out with a log line naming its task and node and the contract's error, which
 * goes back to the entry's job (the step decides, as for a single transaction); so is a commitment
 * that does not pay for its share of the gas (guard.ts, when omnitPerEth > 0). The rest goes out
 * in one commitBatch / revealBatch / claimBatch (a lone entry as a single call), with a gas limit
 * from the entries' own estimates (an estimate of a try/catch batch may starve its entries), and
 * each entry is settled from the receipt: Committed / Revealed, or CommitSkipped / RevealSkipped
 * with its decoded reason (a race lost between the simulation and the block). A batch that
 * reverts as a whole is sent again entry by entry.
 */
import { decodeErrorResult, parseEventLogs, type Abi, type Address, type Hash, type Hex } from "viem";
import type { Logger } from "pino";
import { nodeStakingAbi, taskManagerAbi } from "../../chain/abis.ts";
import { TxRevertError } from "../../chain/errors.ts";
import type { Submitter } from "../../chain/submitter.ts";
import type { ProfitGuard } from "../../chain/profit.ts";
import type { SignedCommit } from "../../protocol/index.ts";
import type { BatchItem } from "./batcher.ts";
import { leaveOutUnprofitable, type Screened } from "./guard.ts";

/** A signed commitment and, for one of the relayer's own node keys, its expected reward (profitability guard). */
export interface CommitEntry extends SignedCommit {
  /** OMNIT wei the commitment is expected to earn (the worker share); undefined: not guarded. */
  expectedReward?: bigint;
}
export interface RevealEntry {
  taskId: bigint;
  node: Address;
  outputHash: Hex;
  salt: Hex;
}
export interface ClaimEntry {
  taskId: bigint;
  node: Address;
}
export type BatchKind = "commit" | "reveal" | "claim";

/** A batch mined: what it carried and the gas it used (the relayer's stats and log). */
export interface BatchSent {
  kind: BatchKind;
  fn: string;
  entries: number;
  gasUsed: bigint;
  hash: Hash;
}

export interface SendEnv {
  submitter: Submitter;
  taskManager: Address;
  logger: Logger;
  onBatch(b: BatchSent): void;
  /** The profitability guard of commitments (guard.ts); off when omnitPerEth is 0 or unset. */
  profit?: ProfitGuard;
}

interface Call {
  functionName: string;
  args: readonly unknown[];
}

type Entry = { taskId: bigint; node: Address };

const ERRORS_ABI = [...taskManagerAbi, ...nodeStakingAbi] as Abi;

/** The key of an entry in a batcher: one entry per (task, node) and kind. */
export function entryKey(e: Entry): string {
  return `${e.taskId}:${e.node.toLowerCase()}`;
}

/** The error of an entry that a batch skipped (`reason`: the revert data of CommitSkipped / RevealSkipped). */
export function skipError(fn: string, reason: Hex): TxRevertError {
  if (reason === "0x")
    return new TxRevertError(fn, undefined, "skipped in the batch without a reason (out of gas?)", {
      retryable: true,
    });
  try {
    const { errorName } = decodeErrorResult({ abi: ERRORS_ABI, data: reason });
    return new TxRevertError(fn, errorName, `skipped in the batch: ${errorName}`);
  } catch {
    return new TxRevertError(fn, undefined, `skipped in the batch: ${reason}`, { retryable: true });
  }
}

function reasonOf(e: unknown): string {
  return e instanceof TxRevertError
    ? (e.errorName ?? e.detail)
    : String((e as Error)?.message ?? e).split("\n")[0]!;
}

/** Logs an entry left out of (or skipped by) a batch, naming its task, node and why. */
function logLeftOut(log: Logger, kind: BatchKind, e: Entry, err: unknown, what: string): void {
  const reason = reasonOf(err);
  const quiet = /AlreadyCommitted|AlreadyRevealed/.test(reason);
  log[quiet ? "info" : "warn"]({ kind, taskId: e.taskId.toString(), node: e.node, reason }, what);
}

/** Simulates each entry on its own; rejects those that would revert. Returns the others with their gas. */
async function screen<E extends Entry>(
  env: SendEnv,
  kind: BatchKind,
  items: BatchItem<E>[],
  single: (e: E) => Call,
): Promise<Screened<E>[]> {
  const results = await Promise.allSettled(
    items.map((i) =>
      env.submitter.estimate({ address: env.taskManager, abi: taskManagerAbi as Abi, ...single(i.entry) }),
    ),
  );
  const ok: Screened<E>[] = [];
  results.forEach((r, k) => {
    const item = items[k]!;
    if (r.status === "fulfilled") return void ok.push({ item, gas: r.value });
    logLeftOut(env.logger, kind, item.entry, r.reason, "relay: entry would revert; left out of the batch");
    item.reject(r.reason);
  });
  return ok;
}

/** Sends one call; the receipt's hash, or throws as the submitter does. */
async function sendCall(
  env: SendEnv,
  call: Call,
  gas?: bigint,
): Promise<{ hash: Hash; gasUsed: bigint; logs: unknown[] }> {
  const { receipt } = await env.submitter.send({
    address: env.taskManager,
    abi: taskManagerAbi as Abi,
    functionName: call.functionName,
    args: call.args,
    logger: env.logger,
    ...(gas !== undefined ? { gas } : {}),
  });
  return { hash: receipt.transactionHash, gasUsed: receipt.gasUsed, logs: receipt.logs };
}

/** Sends each entry on its own (a lone entry, or the entries of a batch that reverted as a whole). */
async function sendSingly<E extends Entry>(
  env: SendEnv,
  kind: BatchKind,
  items: BatchItem<E>[],
  single: (e: E) => Call,
): Promise<void> {
  await Promise.all(
    items.map(async (item) => {
      try {
        const call = single(item.entry);
        const r = await sendCall(env, call);
        env.onBatch({ kind, fn: call.functionName, entries: 1, gasUsed: r.gasUsed, hash: r.hash });
        item.resolve(r.hash);
      } catch (e) {
        logLeftOut(env.logger, kind, item.entry, e, "relay: entry refused on its own");
        item.reject(e);
      }
    }),
  );
}

/** What a batch's receipt says of each entry: mined (ok) or skipped with revert data. */
function outcomes(env: SendEnv, logs: unknown[], ok: string, skipped: string): Map<string, true | Hex> {
  const out = new Map<string, true | Hex>();
  const parsed = parseEventLogs({
    abi: taskManagerAbi as Abi,
    logs: logs as never,
    eventName: [ok, skipped],
  });
  for (const l of parsed) {
    if (l.address.toLowerCase() !== env.taskManager.toLowerCase()) continue;
    const a = l.args as unknown as Entry & { reason?: Hex };
    out.set(entryKey(a), l.eventName === ok ? true : (a.reason ?? "0x"));
  }
  return out;
}

export interface BatchShape<E extends Entry> {
  kind: BatchKind;
  /** The batch function and its arguments. */
  batch(entries: E[]): Call;
  /** The single call of one entry (simulation and fallback). */
  single(e: E): Call;
  /** An entry's expected reward, for the profitability guard (commitments only). */
  reward?(e: E): bigint | undefined;
  /** Events of an entry mined and skipped; undefined: the batch skips silently (claims). */
  events?: { ok: string; skipped: string; alreadyError: string };
}

/** Screens, sends and settles one batch of `shape`. */
export async function sendEntries<E extends Entry>(
  env: SendEnv,
  shape: BatchShape<E>,
  items: BatchItem<E>[],
): Promise<void> {
  const simulated = await screen(env, shape.kind, items, shape.single);
  const ok = shape.reward
    ? await leaveOutUnprofitable(env, shape.single(items[0]!.entry).functionName, simulated, shape.reward)
    : simulated;
  if (ok.length === 0) return;
  if (ok.length === 1) return sendSingly(env, shape.kind, [ok[0]!.item], shape.single);
  const call = shape.batch(ok.map((o) => o.item.entry));
  const gas = (ok.reduce((s, o) => s + o.gas, 0n) * 6n) / 5n;
  let r: Awaited<ReturnType<typeof sendCall>>;
  try {
    r = await sendCall(env, call, gas);
  } catch (e) {
    if (!(e instanceof TxRevertError)) throw e; // RPC, gas, nonce: every entry's job retries
    env.logger.warn(
      { kind: shape.kind, err: e.message },
      "relay: the batch reverted; sending its entries one by one",
    );
    return sendSingly(
      env,
      shape.kind,
      ok.map((o) => o.item),
      shape.single,
    );
  }
  env.onBatch({
    kind: shape.kind,
    fn: call.functionName,
    entries: ok.length,
    gasUsed: r.gasUsed,
    hash: r.hash,
  });
  settle(
    env,
    shape,
    ok.map((o) => o.item),
    r,
  );
}

function settle<E extends Entry>(
  env: SendEnv,
  shape: BatchShape<E>,
  items: BatchItem<E>[],
  r: { hash: Hash; logs: unknown[] },
): void {
  const ev = shape.events;
  if (!ev) return items.forEach((i) => i.resolve(r.hash));
  const fn = shape.single(items[0]!.entry).functionName;
  const seen = outcomes(env, r.logs, ev.ok, ev.skipped);
  for (const item of items) {
    const o = seen.get(entryKey(item.entry));
    if (o === true) {
      item.resolve(r.hash);
      continue;
    }
    const err =
      o === undefined
        ? new TxRevertError(fn, ev.alreadyError, `a no-op in batch ${r.hash}: already done`)
        : skipError(fn, o);
    logLeftOut(env.logger, shape.kind, item.entry, err, `relay: entry skipped by batch ${r.hash}`);
    item.reject(err);
  }
}

/** The three kinds of batch (PROTOCOL.md §4.5, §4.7, §4.9). */
const signedOf = ({ expectedReward: _r, ...c }: CommitEntry): SignedCommit => c;
export const COMMITS: BatchShape<CommitEntry> = {
  kind: "commit",
  batch: (cs) => ({ functionName: "commitBatch", args: [cs.map(signedOf)] }),
  single: (c) => ({ functionName: "commitWithSig", args: [signedOf(c)] }),
  reward: (c) => c.expectedReward,
  events: { ok: "Committed", skipped: "CommitSkipped", alreadyError: "TaskManagerAlreadyCommitted" },
};
export const REVEALS: BatchShape<RevealEntry> = {
  kind: "reveal",
  batch: (rs) => ({ functionName: "revealBatch", args: [rs] }),
  single: (r) => ({ functionName: "reveal", args: [r.taskId, r.node, r.outputHash, r.salt] }),
  events: { ok: "Revealed", skipped: "RevealSkipped", alreadyError: "TaskManagerAlreadyRevealed" },
};
export const CLAIMS: BatchShape<ClaimEntry> = {
  kind: "claim",
  batch: (cs) => ({ functionName: "claimBatch", args: [cs.map((c) => c.taskId), cs.map((c) => c.node)] }),
  single: (c) => ({ functionName: "claimBatch", args: [[c.taskId], [c.node]] }),
};
