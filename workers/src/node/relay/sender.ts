/**
 * The transaction sender of one node key in relay mode (docs/operator.md "Relay mode"): its
 * commitments are signed with its own key (EIP-712 `Commit` with its place, PROTOCOL.md §4.5)
 * and handed to the relayer with the place's deadline; its reveals (salt derived from its key)
 * and claims go to the relayer's batches too. Calls that anyone may make (fixSeed, drawVerifiers,
 * finalize, deliver) are sent by the relayer's key; a liquidation by the node's own key (the
 * bounty is the caller's); `withdraw` by the node's own key only when relay.withdraw is on (it then
 * needs ETH), else the credit stays on chain for the operator.
 */
import type { Address, Hex } from "viem";
import type { ChainReader, SendOptions, TaskSender } from "../context.ts";
import { signCommit } from "../../protocol/index.ts";
import type { Task } from "../../chain/reads.ts";
import type { Relayer } from "./relayer.ts";

export interface RelaySenderParts {
  relayer: Relayer;
  /** Sends as the relayer (permissionless calls). */
  relayerTx: TaskSender;
  /** Sends as the node key itself. */
  own: TaskSender;
  key: Hex;
  me: Address;
  chain: ChainReader;
  chainNow(): bigint;
  domain: { chainId: number; verifyingContract: Address };
  withdraw: boolean;
}

/** The chain time at which a commit in `place` stops being accepted (§4.2, §4.4, §4.6). */
export function placeClosesAt(t: Task, place: number): bigint {
  if (place === 1) return t.seatDeadline;
  if (place === 2 && !t.disputed) return t.verifyDeadline;
  return t.commitDeadline;
}

async function relayCommit(p: RelaySenderParts, args: readonly unknown[], opts: SendOptions): Promise<void> {
  const [taskId, commitment, sealedOutput] = args as [bigint, Hex, Hex];
  const place = opts.place ?? 1;
  const closesAt = placeClosesAt(await p.chain.task(taskId), place);
  const signed = await signCommit({
    account: p.key,
    domain: p.domain,
    taskId,
    place,
    commitment,
    sealedOutput,
    deadline: closesAt,
  });
  opts.log.debug({ place, deadline: closesAt.toString() }, "relay: commitment signed and queued");
  // The worker share the single-transaction path checks too (steps/commit.ts): the relayer's guard.
  const entry = { ...signed, expectedReward: opts.expectedReward };
  const hash = await p.relayer.commit(entry, closesAt, p.chainNow());
  opts.onSent?.(hash);
}

async function relayReveal(p: RelaySenderParts, args: readonly unknown[], opts: SendOptions): Promise<void> {
  const [taskId, node, outputHash, salt] = args as [bigint, Address, Hex, Hex];
  const t = await p.chain.task(taskId);
  opts.log.debug({ deadline: t.revealDeadline.toString() }, "relay: reveal queued");
  const hash = await p.relayer.reveal({ taskId, node, outputHash, salt }, t.revealDeadline, p.chainNow());
  opts.onSent?.(hash);
}

async function relayClaims(p: RelaySenderParts, args: readonly unknown[]): Promise<void> {
  const [taskIds, nodes] = args as [readonly bigint[], readonly Address[]];
  await Promise.all(taskIds.map((taskId, i) => p.relayer.claim({ taskId, node: nodes[i]! })));
}

/** The TaskSender of one node key behind the relayer. */
export function relaySender(p: RelaySenderParts): TaskSender {
  return {
    async send(fn, args, opts) {
      switch (fn as string) {
        case "commit":
          return relayCommit(p, args, opts);
        case "reveal":
          return relayReveal(p, args, opts);
        case "claimBatch":
          return relayClaims(p, args);
        case "liquidate":
          return p.own.send(fn, args, opts);
        case "withdraw":
          if (p.withdraw) return p.own.send(fn, args, opts);
          opts.log.info({ node: p.me }, "relay mode: credit left on chain (relay.withdraw is off)");
          return;
        default:
          return p.relayerTx.send(fn, args, opts);
      }
    },
  };
}
