/**
 * What the role logic needs, built once by main.ts and passed down (no globals): Common, the
 * chain clients and submitter, the deployment, the queues, Redis, the loaded models.
 */
import type { Redis } from "ioredis";
import type { Abi, Address, Hex } from "viem";
import type { Common } from "./common.ts";
import type { ChainClients } from "../chain/clients.ts";
import type { Deployment } from "../chain/deployment.ts";
import type { Submitter } from "../chain/submitter.ts";
import type { QueueSet } from "./queues.ts";
import type { LoadedModel } from "../inference/runtime/index.ts";
import { nodeStakingAbi, taskManagerAbi } from "../chain/abis.ts";

export interface BotContext {
  common: Common;
  clients: ChainClients;
  submitter: Submitter;
  deployment: Deployment;
  queues: QueueSet;
  redis: Redis;
  /** The node's address (the key's). */
  me: Address;
  /** Models this bot can run, by lowercase modelId. */
  models: Map<Hex, LoadedModel>;
  /** Redis key of `name` under this bot's prefix (never contains BullMQ's keys). */
  key(name: string): string;
  /** The latest chain time seen (seconds). */
  chainNow(): bigint;
  /** The latest block number seen. */
  headNumber(): bigint;
}

export const TM = taskManagerAbi as Abi;
export const NS = nodeStakingAbi as Abi;

/** The part of TaskCreated the bot keeps per task (Redis hash), rebuildable from the event. */
export interface TaskRecord {
  taskId: string;
  requester: Address;
  modelId: Hex;
  input: Hex;
  inputURI: string;
  inputHash: Hex;
  reward: string;
  redundancy: number;
  resultKey: Hex;
  seatDeadline: string;
  revealDeadline: string;
}

/** The Task struct fields the bot reads (getTask returns more). */
export interface TaskView {
  requester: Address;
  modelId: Hex;
  status: number;
  delivered: boolean;
  reward: bigint;
  redundancy: number;
  createdAt: bigint;
  seatDeadline: bigint;
  verifyDeadline: bigint;
  disputeDeadline: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  seatStep: bigint;
  workerShare: bigint;
  bond: bigint;
  disputed: boolean;
  seatHolders: readonly Address[];
  acceptedOutputHash: Hex;
  seatSeed: Hex;
  verifierSeed: Hex;
  jurySeed: Hex;
  seatSeedBlock: bigint;
  verifierSeedBlock: bigint;
  jurySeedBlock: bigint;
  computeCount: bigint;
}

export interface CommitmentView {
  commitment: Hex;
  outputHash: Hex;
  bond: bigint;
  place: number;
  voided: boolean;
  revealed: boolean;
  claimed: boolean;
  bondReleased: boolean;
}

/** TaskStatus, in the contract's order. */
export const Status = {
  None: 0,
  Seating: 1,
  Verifying: 2,
  Revealing: 3,
  AwaitingFinalize: 4,
  Finalized: 5,
  Unresolved: 6,
  Cancelled: 7,
} as const;

export async function readTask(ctx: BotContext, taskId: bigint): Promise<TaskView> {
  return (await ctx.clients.publicClient.readContract({
    address: ctx.deployment.contracts.TaskManager,
    abi: TM,
    functionName: "getTask",
    args: [taskId],
  })) as TaskView;
}

export async function readCommitment(
  ctx: BotContext,
  taskId: bigint,
  node: Address,
): Promise<CommitmentView> {
  return (await ctx.clients.publicClient.readContract({
    address: ctx.deployment.contracts.TaskManager,
    abi: TM,
    functionName: "commitmentOf",
    args: [taskId, node],
  })) as CommitmentView;
}

export async function readEligibility(
  ctx: BotContext,
  taskId: bigint,
  node: Address,
): Promise<{ seat: boolean; verifier: boolean; juror: boolean }> {
  const [seat, verifier, juror] = (await ctx.clients.publicClient.readContract({
    address: ctx.deployment.contracts.TaskManager,
    abi: TM,
    functionName: "isEligible",
    args: [taskId, node],
  })) as readonly [boolean, boolean, boolean];
  return { seat, verifier, juror };
}

export async function readRank(ctx: BotContext, taskId: bigint, node: Address): Promise<bigint> {
  return (await ctx.clients.publicClient.readContract({
    address: ctx.deployment.contracts.TaskManager,
    abi: TM,
    functionName: "rankOf",
    args: [taskId, node],
  })) as bigint;
}

export async function loadTaskRecord(ctx: BotContext, taskId: bigint): Promise<TaskRecord | undefined> {
  const v = await ctx.redis.get(ctx.key(`task:${taskId}`));
  return v ? (JSON.parse(v) as TaskRecord) : undefined;
}
