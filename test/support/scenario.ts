/**
 * Tasks driven straight through the contracts (no bots): a network of nodes that all hold both
 * roles, tasks that go Seating → Verifying → Revealing → Finalized, with an optional silent
 * verifier that the first seat liquidates, and claims. Used by the indexer and dashboard tests
 * (issue 14), whose assertions compare what the indexer says with the contracts' views.
 * Importing it has no side effects.
 */
import { keccak256, maxUint256, toHex, zeroAddress, type Address, type Hex } from "viem";
import { modelRegistryAbi, taskManagerAbi, omniTokenAbi } from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import {
  commitmentOf,
  deriveSalt,
  generateResultKey,
  outputHashOf,
  sealOutput,
} from "../../workers/src/protocol/index.ts";
import {
  actor,
  devAddress,
  devKey,
  fundAndStake,
  mine,
  parseEther,
  sendAs,
  transferOmnit,
  warpTo,
  type Target,
} from "./devnet.ts";

export const OWNER = 0;
export const REQUESTER = 10;
export const MODEL_OWNER = 9;
export const CANONICAL = '{"outputs":[{"name":"y","dims":[1],"data":[3]}]}';
const SPEC =
  '{"inputs":[{"name":"x","type":"float32","dims":[1,2]}],"outputs":[{"name":"y","rule":{"op":"argmax"}}]}';

export interface Network {
  target: Target;
  d: Deployment;
  nodes: number[];
  modelId: Hex;
}

/** Stakes `nodes` (both roles), lets every validator verify, registers a model, funds the requester. */
export async function setupNetwork(
  target: Target,
  d: Deployment,
  nodes: number[],
  stake = parseEther("20000"),
): Promise<Network> {
  const tm = d.contracts.TaskManager;
  await fundAndStake(
    target,
    d,
    nodes.map((index) => ({ index, roles: 3, stake })),
  );
  await sendAs(target, OWNER, tm, taskManagerAbi, "setExpectedVerifiers", [64n], d.chainId);
  const onnx = keccak256(toHex("indexer test model"));
  await sendAs(target, MODEL_OWNER, d.contracts.ModelRegistry, modelRegistryAbi, "registerModel", [
    onnx,
    "ipfs://model",
    SPEC,
    500,
  ]);
  const modelId = await actor(target, d, devKey(MODEL_OWNER)).read<Hex>(
    d.contracts.ModelRegistry,
    modelRegistryAbi,
    "modelIdOf",
    [devAddress(MODEL_OWNER), onnx, SPEC],
  );
  await transferOmnit(target, d, [devAddress(REQUESTER)], parseEther("100000"));
  await sendAs(
    target,
    REQUESTER,
    d.contracts.OmniToken,
    omniTokenAbi,
    "approve",
    [tm, maxUint256],
    d.chainId,
  );
  return { target, d, nodes, modelId };
}

interface TaskView {
  seatDeadline: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  status: number;
}

export interface RunningTask {
  taskId: bigint;
  seats: number[];
  verifiers: number[];
}

const tmRead = <T>(net: Network, fn: string, args: readonly unknown[] = []) =>
  actor(net.target, net.d, devKey(OWNER)).tm<T>(fn, args);
const tmSend = (net: Network, who: number, fn: string, args: readonly unknown[]) =>
  sendAs(net.target, who, net.d.contracts.TaskManager, taskManagerAbi, fn, args, net.d.chainId);

async function commitAs(net: Network, n: number, taskId: bigint, resultKey: Hex): Promise<void> {
  const domain = { chainId: net.d.chainId, verifyingContract: net.d.contracts.TaskManager };
  const salt = await deriveSalt(devKey(n), domain, taskId);
  const node = devAddress(n);
  const commitment = commitmentOf(taskId, node, outputHashOf(CANONICAL), salt);
  await tmSend(net, n, "commit", [taskId, commitment, sealOutput(resultKey, taskId, node, salt, CANONICAL)]);
}

/** Creates a task (`redundancy` seats) and commits its seats, best-ranked first. */
export async function startTask(
  net: Network,
  redundancy = 3,
  reward = parseEther("10"),
): Promise<RunningTask> {
  const key = generateResultKey();
  const input = toHex(
    new TextEncoder().encode('{"inputs":{"x":{"type":"float32","dims":[1,2],"data":[1,2]}}}'),
  );
  await tmSend(net, REQUESTER, "createTask", [
    {
      modelId: net.modelId,
      input,
      inputURI: "",
      inputHash: keccak256(input),
      reward,
      redundancy,
      resultKey: key.publicKey,
      callback: zeroAddress,
      callbackGasLimit: 0,
      disputer: zeroAddress,
    },
  ]);
  const taskId = await tmRead<bigint>(net, "taskCount");
  await mine(net.target, 2); // the seat seed is known from block b + 2
  const ranked: { n: number; rank: bigint }[] = [];
  for (const n of net.nodes)
    ranked.push({ n, rank: await tmRead<bigint>(net, "rankOf", [taskId, devAddress(n)]) });
  ranked.sort((x, y) => (x.rank === y.rank ? 0 : x.rank < y.rank ? -1 : 1));
  const seats = ranked.slice(0, redundancy).map((r) => r.n);
  for (const n of seats) await commitAs(net, n, taskId, key.publicKey);
  const verifiers = ranked.slice(redundancy).map((r) => r.n);
  resultKeys.set(taskId, key.publicKey);
  return { taskId, seats, verifiers };
}
const resultKeys = new Map<bigint, Hex>();

/**
 * Verifiers, reveals, finalize, claims. With `silent`, the last verifier commits but never
 * reveals and the first seat liquidates it after finalize (it loses its whole stake).
 */
export async function finishTask(
  net: Network,
  t: RunningTask,
  opts: { silent?: boolean; claim?: boolean } = {},
): Promise<{ silent?: Address }> {
  const { taskId } = t;
  let view = await tmRead<TaskView>(net, "getTask", [taskId]);
  await warpTo(net.target, view.seatDeadline);
  await tmSend(net, OWNER, "drawVerifiers", [taskId]);
  await mine(net.target, 2);
  const verifiers: number[] = [];
  for (const n of t.verifiers) {
    const [, verifier] = await tmRead<readonly [boolean, boolean, boolean]>(net, "isEligible", [
      taskId,
      devAddress(n),
    ]);
    if (!verifier) continue;
    await commitAs(net, n, taskId, resultKeys.get(taskId)!);
    verifiers.push(n);
  }
  const silent = opts.silent && verifiers.length > 1 ? verifiers[verifiers.length - 1] : undefined;
  view = await tmRead<TaskView>(net, "getTask", [taskId]);
  await warpTo(net.target, view.commitDeadline);
  const domain = { chainId: net.d.chainId, verifyingContract: net.d.contracts.TaskManager };
  const revealers = [...t.seats, ...verifiers].filter((n) => n !== silent);
  for (const n of revealers) {
    const salt = await deriveSalt(devKey(n), domain, taskId);
    await tmSend(net, n, "reveal", [taskId, devAddress(n), outputHashOf(CANONICAL), salt]);
  }
  await warpTo(net.target, view.revealDeadline);
  await tmSend(net, OWNER, "finalize", [taskId]);
  if (silent !== undefined) await tmSend(net, t.seats[0], "liquidate", [taskId, devAddress(silent)]);
  if (opts.claim !== false) for (const n of revealers) await tmSend(net, n, "claim", [taskId]);
  return { silent: silent === undefined ? undefined : devAddress(silent) };
}
