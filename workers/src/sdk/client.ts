/**
 * `OmniTensorClient`: the requester SDK as one object (each method is also a standalone action
 * taking an `OmniTensorContext`, for tree-shaking and tests).
 *
 *   const ot = await OmniTensorClient.connect({ rpcUrl, privateKey });
 *   const { taskId, resultKey } = await ot.createTask({ modelId, input, reward: "5" });
 *   const result = await ot.waitForResult(taskId, { resultPrivateKey: resultKey.privateKey, onProgress: console.log });
 */
import type { Address, Hex } from "viem";
import {
  cancel,
  claim,
  claimBatch,
  creditOf,
  deliver,
  dispute,
  finalize,
  fixSeed,
  omnitBalance,
  revealFor,
  revealLateNodes,
  transferOmnit,
  withdraw,
  type SeedKindName,
} from "./actions.ts";
import { connect, type ConnectOptions, type OmniTensorContext } from "./context.ts";
import { createTask, type CreateTaskParams } from "./createTask.ts";
import { registerModel, type RegisterModelParams } from "./registerModel.ts";
import { nodeStatus, requestUnstake, stake, withdrawUnbonded } from "./staking.ts";
import { getTask, statusOf } from "./tasks.ts";
import { waitForResult, type WaitForResultOptions } from "./waitForResult.ts";
import { readCommitments, watchCommitments, type CommitmentReport } from "./watchCommitments.ts";
import { generateResultKey } from "../protocol/sealed.ts";

export class OmniTensorClient {
  constructor(readonly ctx: OmniTensorContext) {}

  /** Connects to `rpcUrl` and loads the chain's deployment (see `connect`). */
  static async connect(opts: ConnectOptions = {}): Promise<OmniTensorClient> {
    return new OmniTensorClient(await connect(opts));
  }

  get deployment() {
    return this.ctx.deployment;
  }
  /** The sending account's address, if any. */
  get account(): Address | undefined {
    return this.ctx.walletClient?.account.address;
  }

  generateResultKey = generateResultKey;
  registerModel = (p: RegisterModelParams) => registerModel(this.ctx, p);
  createTask = (p: CreateTaskParams) => createTask(this.ctx, p);
  getTask = (taskId: bigint) => getTask(this.ctx, taskId);
  statusOf = (taskId: bigint) => statusOf(this.ctx, taskId);
  readCommitments = (taskId: bigint, resultPrivateKey: Hex) =>
    readCommitments(this.ctx, { taskId, resultPrivateKey });
  watchCommitments = (p: {
    taskId: bigint;
    resultPrivateKey: Hex;
    onCommitment: (r: CommitmentReport) => void | Promise<void>;
    onError?: (e: unknown) => void;
    fromBlock?: bigint;
  }) => watchCommitments(this.ctx, p);
  waitForResult = (taskId: bigint, opts?: WaitForResultOptions) => waitForResult(this.ctx, taskId, opts);
  dispute = (taskId: bigint) => dispute(this.ctx, taskId);
  revealFor = (taskId: bigint, node: Address, outputHash: Hex, salt: Hex) =>
    revealFor(this.ctx, taskId, node, outputHash, salt);
  revealLateNodes = (taskId: bigint, resultPrivateKey: Hex) =>
    revealLateNodes(this.ctx, taskId, resultPrivateKey);
  finalize = (taskId: bigint) => finalize(this.ctx, taskId);
  deliver = (taskId: bigint, output: Uint8Array | Hex) => deliver(this.ctx, taskId, output);
  cancel = (taskId: bigint) => cancel(this.ctx, taskId);
  claim = (taskId: bigint) => claim(this.ctx, taskId);
  claimBatch = (taskIds: readonly bigint[], nodes: readonly Address[]) =>
    claimBatch(this.ctx, taskIds, nodes);
  fixSeed = (taskId: bigint, kind: SeedKindName) => fixSeed(this.ctx, taskId, kind);
  withdraw = () => withdraw(this.ctx);
  creditOf = (account: Address) => creditOf(this.ctx, account);
  transferOmnit = (to: Address, amount: string | bigint) => transferOmnit(this.ctx, to, amount);
  omnitBalance = (account: Address) => omnitBalance(this.ctx, account);
  stake = (p: { amount: string | bigint; roles: string | number; metadataURI?: string }) =>
    stake(this.ctx, p);
  requestUnstake = (amount: string | bigint) => requestUnstake(this.ctx, amount);
  withdrawUnbonded = () => withdrawUnbonded(this.ctx);
  nodeStatus = (node: Address) => nodeStatus(this.ctx, node);
}
