/**
 * What the steps need, built once by start.ts and passed down (no globals). Steps see only
 * `StepContext`: a narrow chain reader and transaction sender (fakes in unit tests), Redis under
 * the node's prefix, the models, Common and the chain clock. `NodeContext` adds the real clients,
 * the submitter, the deployment and the queues for the wiring (start.ts, events.ts).
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Address, ContractFunctionArgs, ContractFunctionName, Hash, Hex } from "viem";
import type { Common } from "./common.ts";
import type { ChainClients } from "../chain/clients.ts";
import type { Deployment } from "../chain/deployment.ts";
import type { Submitter } from "../chain/submitter.ts";
import type { QueueSet } from "./queues.ts";
import type { CanonicalResult } from "../inference/index.ts";
import { taskManagerAbi } from "../chain/abis.ts";
import {
  readCommitment,
  readCreditOf,
  readEligibility,
  readIsLiquidatable,
  readRank,
  readTask,
  type Commitment,
  type Eligibility,
  type Task,
} from "../chain/reads.ts";

/** The chain reads of the steps. `at` pins a read to a block (several reads, one state). */
export interface ChainReader {
  blockNumber(): Promise<bigint>;
  task(taskId: bigint, at?: bigint): Promise<Task>;
  commitment(taskId: bigint, node: Address, at?: bigint): Promise<Commitment>;
  eligibility(taskId: bigint, node: Address, at?: bigint): Promise<Eligibility>;
  rank(taskId: bigint, node: Address, at?: bigint): Promise<bigint>;
  isLiquidatable(taskId: bigint, node: Address): Promise<boolean>;
  creditOf(account: Address): Promise<bigint>;
}

/** A TaskManager function that sends a transaction, and its arguments (typed from the ABI). */
export type TaskManagerWrite = ContractFunctionName<typeof taskManagerAbi, "nonpayable">;
export type TaskManagerArgs<F extends TaskManagerWrite> = ContractFunctionArgs<
  typeof taskManagerAbi,
  "nonpayable",
  F
> &
  readonly unknown[];

export interface SendOptions {
  log: Logger;
  /** Expected OMNIT (wei) the call earns (profitability guard). */
  expectedReward?: bigint;
  /** Called once the transaction is handed to the RPC node. */
  onSent?: (hash: Hash) => void;
  /** The place a `commit` takes (1 seat, 2 verifier, 3 juror): relay mode signs it (PROTOCOL.md §4.5). */
  place?: 1 | 2 | 3;
}

/** Sends TaskManager transactions (simulated first); throws TxRevertError with the decoded error. */
export interface TaskSender {
  send<F extends TaskManagerWrite>(fn: F, args: TaskManagerArgs<F>, opts: SendOptions): Promise<void>;
}

/** What a model offers the steps (a ThreadedModel in production: inference in a worker thread). */
export interface StepModel {
  infer(input: Uint8Array): Promise<CanonicalResult>;
}

/**
 * Replaces the canonical output a node computed (tests and the demo make a cheating node with it;
 * never set in production). Must be deterministic: a restarted node reveals what it committed.
 */
export type OutputTransform = (canonical: string, task: { taskId: bigint; modelId: Hex }) => string;

export interface StepContext {
  common: Common;
  chain: ChainReader;
  tx: TaskSender;
  redis: Redis;
  /** The node's address (the key's). */
  me: Address;
  /** EIP-712 domain of the salts (PROTOCOL.md §7). */
  domain: { chainId: number; verifyingContract: Address };
  /** Models this node can run, by lowercase modelId. */
  models: Map<Hex, StepModel>;
  /** Redis key of `name` under this node's prefix (never contains BullMQ's keys). */
  key(name: string): string;
  /** The latest chain time seen (seconds). */
  chainNow(): bigint;
  /** The latest block number seen. */
  headNumber(): bigint;
  transformOutput?: OutputTransform;
}

export interface NodeContext extends StepContext {
  clients: ChainClients;
  submitter: Submitter;
  deployment: Deployment;
  queues: QueueSet;
}

/** The ChainReader of a TaskManager at `address`. */
export function chainReader(client: ChainClients["publicClient"], address: Address): ChainReader {
  return {
    blockNumber: () => client.getBlockNumber({ cacheTime: 0 }),
    task: (taskId, at) => readTask(client, address, taskId, at),
    commitment: (taskId, node, at) => readCommitment(client, address, taskId, node, at),
    eligibility: (taskId, node, at) => readEligibility(client, address, taskId, node, at),
    rank: (taskId, node, at) => readRank(client, address, taskId, node, at),
    isLiquidatable: (taskId, node) => readIsLiquidatable(client, address, taskId, node),
    creditOf: (account) => readCreditOf(client, address, account),
  };
}

/** The TaskSender of a TaskManager at `address`, through the node's submitter. */
export function taskSender(submitter: Submitter, address: Address): TaskSender {
  return {
    async send(fn, args, opts) {
      await submitter.send({
        address,
        abi: taskManagerAbi,
        functionName: fn,
        args,
        logger: opts.log,
        expectedReward: opts.expectedReward,
        onSent: opts.onSent,
      });
    },
  };
}

/** The part of TaskCreated the node keeps per task (Redis), rebuildable from the event. */
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

export async function loadTaskRecord(
  ctx: Pick<StepContext, "redis" | "key">,
  taskId: bigint,
): Promise<TaskRecord | undefined> {
  const v = await ctx.redis.get(ctx.key(`task:${taskId}`));
  return v ? (JSON.parse(v) as TaskRecord) : undefined;
}
