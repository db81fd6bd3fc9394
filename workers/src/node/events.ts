/**
 * Turns TaskManager / NodeStaking events into jobs. Every action is idempotent (jobIds dedupe,
 * handlers re-check the chain), so a rescan after a restart or a wiped Redis rebuilds the work.
 */
import { parseAbiItem, type Address, type Hex, type Log } from "viem";
import type { BotContext, TaskRecord } from "./context.ts";
import { taskLogger } from "./common.ts";

export const TASK_EVENTS = [
  parseAbiItem(
    "event TaskCreated(uint256 indexed taskId, address indexed requester, bytes32 indexed modelId, bytes input, string inputURI, bytes32 inputHash, uint256 reward, uint8 redundancy, bytes32 resultKey, uint64 seatDeadline, uint64 revealDeadline)",
  ),
  parseAbiItem("event VerifiersDrawn(uint256 indexed taskId)"),
  parseAbiItem(
    "event Committed(uint256 indexed taskId, address indexed node, uint8 place, bytes sealedOutput)",
  ),
  parseAbiItem("event SeatLost(uint256 indexed taskId, address indexed node, address indexed by)"),
  parseAbiItem("event TaskDisputed(uint256 indexed taskId, address indexed by, uint256 bond)"),
  parseAbiItem("event TaskFinalized(uint256 indexed taskId, bytes32 outputHash, uint256 n, uint256 m)"),
  parseAbiItem(
    "event TaskUnresolved(uint256 indexed taskId, bytes32 leader, uint256 n, uint256 m, bool tied)",
  ),
  parseAbiItem(
    "event Liquidated(uint256 indexed taskId, address indexed node, uint256 amount, address indexed liquidator)",
  ),
  parseAbiItem("event Staked(address indexed node, uint256 amount, uint8 roles, string metadataURI)"),
] as const;

type Decoded = Log & { eventName: string; args: Record<string, unknown> };

function same(a: unknown, b: Address): boolean {
  return typeof a === "string" && a.toLowerCase() === b.toLowerCase();
}

/** Handles one range of logs in chain order. */
export async function handleLogs(ctx: BotContext, logs: Log[]): Promise<void> {
  const roles = ctx.common.config.roles;
  const compute = roles.includes("compute");
  const verifier = roles.includes("verifier");
  for (const raw of logs) {
    const log = raw as Decoded;
    const a = log.args;
    if (log.eventName === "Staked") {
      await ctx.redis.sadd(ctx.key("nodes"), (a.node as Address).toLowerCase());
      continue;
    }
    const taskId = a.taskId as bigint;
    const tlog = taskLogger(ctx.common, taskId);
    switch (log.eventName) {
      case "TaskCreated": {
        const rec: TaskRecord = {
          taskId: taskId.toString(),
          requester: a.requester as Address,
          modelId: (a.modelId as Hex).toLowerCase() as Hex,
          input: a.input as Hex,
          inputURI: a.inputURI as string,
          inputHash: a.inputHash as Hex,
          reward: (a.reward as bigint).toString(),
          redundancy: Number(a.redundancy),
          resultKey: a.resultKey as Hex,
          seatDeadline: (a.seatDeadline as bigint).toString(),
          revealDeadline: (a.revealDeadline as bigint).toString(),
        };
        await ctx.redis.set(ctx.key(`task:${taskId}`), JSON.stringify(rec), "EX", 14 * 86_400);
        ctx.common.metrics.tasksSeen.inc({ role: roles.join("+") });
        const seenAt = Date.now();
        if (compute) {
          if (!ctx.models.has(rec.modelId)) {
            tlog.debug({ modelId: rec.modelId }, "model not served; skipped");
            ctx.common.metrics.skipped.inc({ reason: "model" });
          } else if (BigInt(rec.reward) < ctx.common.config.minReward) {
            tlog.info({ reward: rec.reward }, "reward below minReward; skipped");
            ctx.common.metrics.skipped.inc({ reason: "reward" });
          } else if (BigInt(rec.seatDeadline) > ctx.chainNow()) {
            await ctx.queues.add("infer", { taskId: rec.taskId, place: 1, seenAt });
          }
        }
        if (verifier) {
          await ctx.queues.add(
            "commit",
            { taskId: rec.taskId, commitAction: "draw" },
            { dueAt: BigInt(rec.seatDeadline) },
          );
          await ctx.queues.add("finalize", { taskId: rec.taskId }, { dueAt: BigInt(rec.revealDeadline) });
        }
        break;
      }
      case "VerifiersDrawn":
        if (verifier)
          await ctx.queues.add("infer", { taskId: taskId.toString(), place: 2 }, { suffix: "verifier" });
        break;
      case "TaskDisputed":
        if (verifier)
          await ctx.queues.add("infer", { taskId: taskId.toString(), place: 3 }, { suffix: "juror" });
        break;
      case "Committed":
        await ctx.redis.sadd(ctx.key(`committers:${taskId}`), (a.node as Address).toLowerCase());
        if (same(a.node, ctx.me)) {
          const rec = await ctx.redis.get(ctx.key(`task:${taskId}`));
          const revealDeadline = rec ? BigInt((JSON.parse(rec) as TaskRecord).revealDeadline) : undefined;
          await ctx.queues.add(
            "reveal",
            { taskId: taskId.toString() },
            { dueAt: await commitDeadlineOf(ctx, taskId) },
          );
          await ctx.queues.add(
            "finalize",
            { taskId: taskId.toString() },
            revealDeadline ? { dueAt: revealDeadline } : {},
          );
        }
        break;
      case "SeatLost":
        if (same(a.node, ctx.me)) {
          tlog.info({ by: a.by }, "seat lost to a better rank");
          ctx.common.metrics.lost.inc({ reason: "seat" });
        }
        break;
      case "TaskFinalized":
      case "TaskUnresolved":
        await ctx.queues.add("finalize", { taskId: taskId.toString() });
        break;
      case "Liquidated":
        if (same(a.node, ctx.me)) {
          tlog.error({ amount: (a.amount as bigint).toString() }, "this node was liquidated (slashed)");
          ctx.common.metrics.slashed.inc();
        } else if (await ctx.redis.sismember(ctx.key(`committers:${taskId}`), ctx.me.toLowerCase())) {
          // A liquidation adds to what the nodes that revealed R can claim: claim again (a repeat that finds
          // nothing new credits nothing; the settle handler tolerates it), then withdraw.
          await ctx.queues.add(
            "settle",
            { taskId: taskId.toString(), action: "claim" },
            { suffix: `claim-after-${String(a.node).toLowerCase()}` },
          );
        }
        break;
    }
  }
}

async function commitDeadlineOf(ctx: BotContext, taskId: bigint): Promise<bigint> {
  const cached = await ctx.redis.get(ctx.key(`commitDeadline:${taskId}`));
  if (cached) return BigInt(cached);
  const t = (await ctx.clients.publicClient.readContract({
    address: ctx.deployment.contracts.TaskManager,
    abi: (await import("./context.ts")).TM,
    functionName: "getTask",
    args: [taskId],
  })) as { commitDeadline: bigint };
  await ctx.redis.set(ctx.key(`commitDeadline:${taskId}`), t.commitDeadline.toString(), "EX", 14 * 86_400);
  return t.commitDeadline;
}
