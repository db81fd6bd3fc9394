/**
 * Test support of the step unit tests: a fake chain reader (the chain's answers as functions of
 * the block, so a test can move the chain between two reads), a fake transaction sender (records
 * calls, reverts by decoded error name), and a StepContext over real Redis (own prefix) and the
 * real tiny-mlp model (onnxruntime).
 */
import { Redis } from "ioredis";
import { maxUint256, zeroAddress, zeroHash, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { taskManagerAbi } from "../../../../workers/src/chain/abis.ts";
import { TxRevertError } from "../../../../workers/src/chain/errors.ts";
import type {
  Commitment,
  Eligibility,
  Task,
  TaskManagerErrorName,
} from "../../../../workers/src/chain/reads.ts";
import type {
  ChainReader,
  SendOptions,
  StepContext,
  TaskRecord,
  TaskSender,
} from "../../../../workers/src/node/context.ts";
import { createCommon } from "../../../../workers/src/node/common.ts";
import { parseWorkerConfig } from "../../../../workers/src/node/config.ts";
import { InferenceEngine, type LoadedModel } from "../../../../workers/src/inference/runtime/index.ts";
import { knownModel } from "../../../support/models.ts";

export const TM: Address = "0x00000000000000000000000000000000000000aa";
export const KEY: Hex = `0x${"11".repeat(32)}`;
export const ME: Address = privateKeyToAccount(KEY).address;
export const OTHER: Address = "0x00000000000000000000000000000000000000b1";

function zeroOf(type: string): unknown {
  if (type.endsWith("[]")) return [];
  if (type === "address") return zeroAddress;
  if (type === "bool") return false;
  if (type.startsWith("bytes")) return zeroHash;
  const bits = Number(type.replace(/^u?int/, "") || 256);
  return bits <= 48 ? 0 : 0n; // viem: numbers up to 48 bits, bigints above
}

function zeroStruct(fn: "getTask" | "commitmentOf"): Record<string, unknown> {
  const item = taskManagerAbi.find((x) => x.type === "function" && x.name === fn);
  if (!item || item.type !== "function") throw new Error(fn);
  const [out] = item.outputs;
  if (!out || !("components" in out)) throw new Error(fn);
  return Object.fromEntries(out.components.map((c) => [c.name, zeroOf(c.type)]));
}

/** A Task with every field zero (built from the ABI), then `over`. */
export function taskOf(over: Partial<Task>): Task {
  return { ...zeroStruct("getTask"), ...over } as Task;
}

export function commitmentOf(over: Partial<Commitment>): Commitment {
  return { ...zeroStruct("commitmentOf"), ...over } as Commitment;
}

export const NOT_ELIGIBLE: Eligibility = { seat: false, verifier: false, juror: false };

/** The chain's answers as functions of the block; `afterRead` runs after every contract read. */
export class FakeChain implements ChainReader {
  block = 100n;
  reads: { fn: string; at?: bigint }[] = [];
  taskAt: (at: bigint) => Task = () => taskOf({});
  eligibilityAt: (at: bigint, node: Address) => Eligibility = () => NOT_ELIGIBLE;
  rankAt: (at: bigint, node: Address) => bigint = () => maxUint256;
  commitments = new Map<string, Commitment>();
  liquidatable = new Set<string>();
  credit = 0n;
  afterRead?: (reads: number) => void;

  private read<T>(fn: string, at: bigint | undefined, value: (b: bigint) => T): Promise<T> {
    const v = value(at ?? this.block);
    this.reads.push({ fn, at });
    this.afterRead?.(this.reads.length);
    return Promise.resolve(v);
  }
  blockNumber = () => Promise.resolve(this.block);
  task = (_id: bigint, at?: bigint) => this.read("getTask", at, (b) => this.taskAt(b));
  commitment = (_id: bigint, node: Address, at?: bigint) =>
    this.read("commitmentOf", at, () => this.commitments.get(node.toLowerCase()) ?? commitmentOf({}));
  eligibility = (_id: bigint, node: Address, at?: bigint) =>
    this.read("isEligible", at, (b) => this.eligibilityAt(b, node));
  rank = (_id: bigint, node: Address, at?: bigint) => this.read("rankOf", at, (b) => this.rankAt(b, node));
  isLiquidatable = (_id: bigint, node: Address) =>
    this.read("isLiquidatable", undefined, () => this.liquidatable.has(node.toLowerCase()));
  creditOf = () => this.read("creditOf", undefined, () => this.credit);
}

/** Records every transaction; a function listed in `reverts` throws its decoded error. */
export class FakeSender implements TaskSender {
  sent: { fn: string; args: readonly unknown[] }[] = [];
  reverts = new Map<string, TaskManagerErrorName | "other">();
  async send(fn: string, args: readonly unknown[], opts: SendOptions): Promise<void> {
    const r = this.reverts.get(fn);
    if (r) throw new TxRevertError(fn, r === "other" ? undefined : r, "reverted");
    this.sent.push({ fn, args });
    opts.onSent?.(zeroHash);
  }
  calls(fn: string) {
    return this.sent.filter((s) => s.fn === fn);
  }
}

const tiny = knownModel("tiny-mlp");
let engine: InferenceEngine | undefined;
let model: Promise<LoadedModel> | undefined;
/** The real tiny-mlp model (loaded once per test file). */
export function tinyModel(): Promise<LoadedModel> {
  engine ??= new InferenceEngine({ threads: 1 });
  model ??= engine.load(tiny.specJson, { path: tiny.path, sha256: tiny.sha256 });
  return model;
}
export const MODEL_ID: Hex = `0x${"ab".repeat(32)}`;

let n = 0;
/** A StepContext over a fake chain and real Redis (a fresh prefix); `done()` deletes its keys. */
export async function stepContext(opts: { roles?: ("compute" | "verifier")[]; now?: bigint } = {}) {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, db: 0 });
  const prefix = `test-steps-${process.pid}-${n++}`;
  const config = parseWorkerConfig({
    rpcUrl: "http://127.0.0.1:1",
    privateKey: KEY,
    redisUrl: "redis://127.0.0.1:6379",
    roles: opts.roles ?? ["compute", "verifier"],
    models: [{ modelId: MODEL_ID, path: tiny.path }],
    pollIntervalMs: 50,
    logLevel: "silent",
  });
  const chain = new FakeChain();
  const tx = new FakeSender();
  let now = opts.now ?? 1_000n;
  const ctx: StepContext = {
    common: createCommon(config, { defaultMetrics: false }),
    chain,
    tx,
    redis,
    me: ME,
    domain: { chainId: 31337, verifyingContract: TM },
    models: new Map([[MODEL_ID, await tinyModel()]]),
    key: (name) => `${prefix}:${name}`,
    chainNow: () => now,
    headNumber: () => chain.block,
  };
  return {
    ctx,
    chain,
    tx,
    redis,
    setNow: (t: bigint) => (now = t),
    log: ctx.common.logger,
    /** Stores the TaskCreated record of `taskId` (what the events handler keeps). */
    async seeTask(taskId: bigint, resultKey: Hex) {
      const rec: TaskRecord = {
        taskId: taskId.toString(),
        requester: OTHER,
        modelId: MODEL_ID,
        input: `0x${Buffer.from(tiny.sampleInput(1)).toString("hex")}`,
        inputURI: "",
        inputHash: zeroHash,
        reward: "10",
        redundancy: 3,
        resultKey,
        seatDeadline: "0",
        revealDeadline: "0",
      };
      await redis.set(ctx.key(`task:${taskId}`), JSON.stringify(rec));
    },
    async done() {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    },
  };
}

/** Closes the model engine (call in the test file's `after`). */
export async function closeModels(): Promise<void> {
  await engine?.close();
  engine = undefined;
  model = undefined;
}
