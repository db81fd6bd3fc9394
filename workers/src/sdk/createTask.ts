import {
  hexToBytes,
  keccak256,
  parseEventLogs,
  parseSignature,
  toHex,
  zeroAddress,
  zeroHash,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { modelRegistryAbi, omniTokenAbi, taskManagerAbi } from "../chain/abis.ts";
import { readModel } from "../chain/reads.ts";
import { assertAddress, assertBytes32 } from "../protocol/bytes.ts";
import { ProtocolEncodingError } from "../protocol/errors.ts";
import { generateResultKey, type ResultKeyPair } from "../protocol/sealed.ts";
import { formatOmnit, parseOmnit } from "./amounts.ts";
import { requireWallet, sendTx, type OmniTensorContext } from "./context.ts";
import { InsufficientFundsError, UnknownModelError } from "./errors.ts";
import { assertInputFitsSpec, assertJsonText, assertJsonValue, InvalidTaskInputError } from "./inputCheck.ts";
import { ensureOmnit } from "./staking.ts";

/** What a requester asks for. Give `input` (inline) or `inputURI` + `inputHash`. */
export interface CreateTaskParams {
  modelId: Hex;
  /** Inline input: the task-input JSON (PROTOCOL.md §7) as an object, a string, or raw bytes. */
  input?: Record<string, unknown> | string | Uint8Array;
  /** Input by URI: the bytes at this URI must hash (keccak256) to `inputHash`. */
  inputURI?: string;
  inputHash?: Hex;
  /** Reward in OMNIT ("5" = 5 OMNIT) or in wei as a bigint. */
  reward: string | bigint;
  /** How many worker seats (1..maxRedundancy). Default 1. */
  redundancy?: number;
  /** Your result key pair; a fresh one is made when omitted (keep `resultKey.privateKey`!). */
  resultKey?: ResultKeyPair;
  /** A contract implementing IInferenceConsumer to receive the result, and the gas it gets. */
  callback?: Address;
  callbackGasLimit?: number;
  /** An extra address that may dispute (for requesters that are contracts). */
  disputer?: Address;
  /** Use an EIP-2612 permit (one transaction, default) or approve + createTask (two). */
  permit?: boolean;
  /**
   * Send even when the input fails the checks made before the escrow moves (values JSON cannot
   * carry, text that is not JSON, the model spec's names, types, dims and maxInputBytes, an
   * all-zero result key). Default false.
   */
  force?: boolean;
}

export interface CreatedTask {
  taskId: bigint;
  /** The result key pair whose public half is on chain; its private half opens the sealed outputs. */
  resultKey: ResultKeyPair;
  inputHash: Hex;
  seatDeadline: bigint;
  revealDeadline: bigint;
  receipt: TransactionReceipt;
}

/** The on-chain TaskRequest struct. */
export interface TaskRequestStruct {
  modelId: Hex;
  input: Hex;
  inputURI: string;
  inputHash: Hex;
  reward: bigint;
  redundancy: number;
  resultKey: Hex;
  callback: Address;
  callbackGasLimit: number;
  disputer: Address;
}

/** Builds and checks a TaskRequest, naming the field that is wrong. */
/** The inline input (bytes, hash) or the URI and its hash; checks the input unless `force`. */
function inputFields(params: CreateTaskParams): { input: Hex; inputURI: string; inputHash: Hex } {
  if (params.input !== undefined) {
    if (params.inputURI)
      throw new ProtocolEncodingError("inputURI", "give either input or inputURI, not both");
    if (!params.force) {
      if (typeof params.input === "string") assertJsonText(params.input);
      else if (!(params.input instanceof Uint8Array)) assertJsonValue(params.input);
    }
    const bytes =
      params.input instanceof Uint8Array
        ? params.input
        : new TextEncoder().encode(
            typeof params.input === "string" ? params.input : JSON.stringify(params.input),
          );
    if (bytes.length === 0) throw new ProtocolEncodingError("input", "must not be empty");
    return { input: toHex(bytes), inputURI: "", inputHash: keccak256(bytes) };
  }
  if (!params.inputURI)
    throw new ProtocolEncodingError(
      "input",
      "give the input inline (input) or by URI (inputURI + inputHash)",
    );
  if (!params.inputHash)
    throw new ProtocolEncodingError(
      "inputHash",
      "is required with inputURI: keccak256 of the bytes at the URI",
    );
  return { input: "0x", inputURI: params.inputURI, inputHash: assertBytes32("inputHash", params.inputHash) };
}

/** Builds and checks a TaskRequest, naming the field that is wrong. */
export function buildTaskRequest(params: CreateTaskParams, resultKey: Hex): TaskRequestStruct {
  const modelId = assertBytes32("modelId", params.modelId);
  const { input, inputURI, inputHash } = inputFields(params);
  const redundancy = params.redundancy ?? 1;
  if (!Number.isInteger(redundancy) || redundancy < 1 || redundancy > 255)
    throw new ProtocolEncodingError("redundancy", "must be an integer from 1 to maxRedundancy");
  const callback = params.callback ? assertAddress("callback", params.callback) : zeroAddress;
  const callbackGasLimit = params.callbackGasLimit ?? 0;
  if (!Number.isInteger(callbackGasLimit) || callbackGasLimit < 0 || callbackGasLimit > 0xffffffff)
    throw new ProtocolEncodingError("callbackGasLimit", "must be a non-negative integer (gas)");
  if (callback !== zeroAddress && callbackGasLimit === 0)
    throw new ProtocolEncodingError("callbackGasLimit", "must be > 0 when a callback is given");
  const key = assertBytes32("resultKey", resultKey);
  if (!params.force && key === zeroHash)
    throw new InvalidTaskInputError(
      "resultKey",
      "is all zeros: nodes would seal their outputs to no key (pass a key from generateResultKey())",
    );
  return {
    modelId,
    input,
    inputURI,
    inputHash,
    reward: parseOmnit("reward", params.reward),
    redundancy,
    resultKey: key,
    callback,
    callbackGasLimit,
    disputer: params.disputer ? assertAddress("disputer", params.disputer) : zeroAddress,
  };
}

/**
 * What the chain would refuse, or what would only cost the requester, checked before the escrow
 * moves: an unregistered model, an input its spec refuses (unless `force`), the minimum reward,
 * maxRedundancy, the balance.
 */
async function checkBeforeEscrow(
  ctx: OmniTensorContext,
  account: Address,
  req: TaskRequestStruct,
  force: boolean,
): Promise<void> {
  const { TaskManager, ModelRegistry, OmniToken } = ctx.deployment.contracts;
  const pc = ctx.publicClient;
  const [exists, minReward, maxRedundancy, balance] = await Promise.all([
    pc.readContract({
      address: ModelRegistry,
      abi: modelRegistryAbi,
      functionName: "exists",
      args: [req.modelId],
    }),
    pc.readContract({ address: TaskManager, abi: taskManagerAbi, functionName: "minReward" }),
    pc.readContract({ address: TaskManager, abi: taskManagerAbi, functionName: "maxRedundancy" }),
    pc.readContract({ address: OmniToken, abi: omniTokenAbi, functionName: "balanceOf", args: [account] }),
  ]);
  if (!exists) throw new UnknownModelError(req.modelId);
  if (!force && req.input !== "0x") {
    const model = await readModel(pc, ModelRegistry, req.modelId);
    assertInputFitsSpec(hexToBytes(req.input), model.spec);
  }
  if (req.reward < minReward)
    throw new ProtocolEncodingError(
      "reward",
      `${formatOmnit(req.reward)} OMNIT is below the minimum reward ${formatOmnit(minReward)} OMNIT`,
    );
  if (BigInt(req.redundancy) > maxRedundancy)
    throw new ProtocolEncodingError(
      "redundancy",
      `${req.redundancy} is above maxRedundancy ${maxRedundancy}`,
    );
  if (balance < req.reward)
    throw new InsufficientFundsError(
      account,
      "OMNIT",
      balance,
      req.reward,
      "the task's reward",
      formatOmnit(balance),
      formatOmnit(req.reward),
    );
}

/** createTaskWithPermit: an EIP-2612 permit for the reward, signed here, and the call (one transaction). */
async function createWithPermit(ctx: OmniTensorContext, req: TaskRequestStruct): Promise<TransactionReceipt> {
  const { wallet, account } = requireWallet(ctx, "createTask");
  const { TaskManager, OmniToken } = ctx.deployment.contracts;
  const pc = ctx.publicClient;
  const [nonce, domain, block] = await Promise.all([
    pc.readContract({ address: OmniToken, abi: omniTokenAbi, functionName: "nonces", args: [account] }),
    pc.readContract({ address: OmniToken, abi: omniTokenAbi, functionName: "eip712Domain" }),
    pc.getBlock({ blockTag: "latest" }),
  ]);
  const deadline = block.timestamp + 3600n;
  const signature = await wallet.signTypedData({
    account: wallet.account,
    domain: { name: domain[1], version: domain[2], chainId: domain[3], verifyingContract: domain[4] },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner: account, spender: TaskManager, value: req.reward, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return sendTx(ctx, {
    address: TaskManager,
    abi: taskManagerAbi,
    functionName: "createTaskWithPermit",
    args: [req, deadline, Number(v ?? BigInt(yParity + 27)), r, s],
  });
}

/**
 * Opens a task: checks the model, the input against the model's spec (unless `force`), the reward and the balance, escrows the reward (with an
 * EIP-2612 permit by default: one transaction), and returns the task id and the result key.
 */
export async function createTask(ctx: OmniTensorContext, params: CreateTaskParams): Promise<CreatedTask> {
  const { account } = requireWallet(ctx, "createTask");
  const keys = params.resultKey ?? generateResultKey();
  const req = buildTaskRequest(params, keys.publicKey);
  const { TaskManager } = ctx.deployment.contracts;
  await checkBeforeEscrow(ctx, account, req, params.force ?? false);
  let receipt: TransactionReceipt;
  if (params.permit ?? true) receipt = await createWithPermit(ctx, req);
  else {
    await ensureOmnit(ctx, TaskManager, req.reward, "the task's reward");
    receipt = await sendTx(ctx, {
      address: TaskManager,
      abi: taskManagerAbi,
      functionName: "createTask",
      args: [req],
    });
  }
  const [created] = parseEventLogs({ abi: taskManagerAbi, logs: receipt.logs, eventName: "TaskCreated" });
  return {
    taskId: created.args.taskId,
    resultKey: keys,
    inputHash: created.args.inputHash,
    seatDeadline: BigInt(created.args.seatDeadline),
    revealDeadline: BigInt(created.args.revealDeadline),
    receipt,
  };
}
