/**
 * An in-process Hardhat chain (EDR, `network.create()`) with the four contracts deployed by the
 * project's Ignition module through the one devnet harness (test/support/devnet.ts), staked
 * compute nodes and a funded requester, for the SDK tests. Importing it has no side effects.
 * Nodes commit with the real §7 encodings (derived salt, sealed output, commitment), as the
 * compute bot does.
 */
import { network } from "hardhat";
import { getContract, parseAbi, parseEther, type Abi, type Address, type Hex, type PublicClient } from "viem";
import {
  deployContract,
  deployDevnet,
  devAccount,
  fundAndStake,
  transferOmnit,
  type Target,
} from "../../support/devnet.ts";
import {
  modelRegistryAbi,
  nodeStakingAbi,
  omniTokenAbi,
  taskManagerAbi,
} from "../../../workers/src/chain/abis.ts";
import { commitmentOf, deriveSalt, outputHashOf, sealOutput } from "../../../workers/src/protocol/index.ts";
import type { OmniTensorContext } from "../../../workers/src/sdk/index.ts";

export { devAccount };

export const HOUR = 3600n;

export async function deploySuite(opts: { computeNodes?: number[]; requester?: number } = {}) {
  const conn = await network.create();
  const { viem, networkHelpers } = conn;
  const target = conn.provider as unknown as Target;
  const { deployment } = await deployDevnet(target);
  const { chainId } = deployment;
  const publicClient = await viem.getPublicClient();
  const client = { public: publicClient as unknown as PublicClient };
  const c = deployment.contracts;
  const token = getContract({ address: c.OmniToken, abi: omniTokenAbi, client });
  const staking = getContract({ address: c.NodeStaking, abi: nodeStakingAbi, client });
  const registry = getContract({ address: c.ModelRegistry, abi: modelRegistryAbi, client });
  const taskManager = getContract({ address: c.TaskManager, abi: taskManagerAbi, client });

  /** Sends one transaction from Hardhat account `index` and waits for it. */
  const send = async (
    index: number,
    address: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
  ) => {
    const w = await viem.getWalletClient(devAccount(index).address);
    const hash = await w.writeContract({
      address,
      abi,
      functionName,
      args: args as unknown[],
      account: w.account,
      chain: w.chain,
    });
    const r = await publicClient.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`${functionName} by account ${index} reverted`);
  };

  const computeNodes = opts.computeNodes ?? [1, 2, 3];
  const stake = parseEther("20000");
  await fundAndStake(
    target,
    deployment,
    computeNodes.map((index) => ({ index, roles: 1, stake })),
  );
  const requester = devAccount(opts.requester ?? 5).address;
  await transferOmnit(target, deployment, [requester], parseEther("1000"));

  /** Deploys a consumer that records whatever the TaskManager delivers (contracts/mocks: an ExampleConsumer
   *  refuses results of tasks it did not open itself, and these tasks are opened by the SDK's requester). */
  const deployConsumer = (): Promise<Address> => deployContract(target, "RecordingConsumer", []);
  const consumerAbi = parseAbi([
    "function lastTaskId() view returns (uint256)",
    "function lastOutput() view returns (bytes)",
  ]);

  /** An SDK context whose wallet is account `index` (a JSON-RPC account of the in-process node). */
  const contextFor = async (index: number): Promise<OmniTensorContext> =>
    ({
      publicClient: publicClient as unknown as OmniTensorContext["publicClient"],
      walletClient: (await viem.getWalletClient(
        devAccount(index).address,
      )) as unknown as OmniTensorContext["walletClient"],
      deployment,
      pollingIntervalMs: 10,
    }) satisfies OmniTensorContext;

  const domain = { chainId, verifyingContract: taskManager.address };

  /** Node `index` commits `canonical` sealed to `resultKey`, as the compute bot does. `tamper` breaks one part. */
  const nodeCommit = async (
    index: number,
    taskId: bigint,
    canonical: string,
    resultKey: Hex,
    tamper?: "wrong-key" | "wrong-commitment",
  ) => {
    const { key, address } = devAccount(index);
    const salt = await deriveSalt(key, domain, taskId);
    const sealedTo = tamper === "wrong-key" ? `0x${"11".repeat(32)}` : resultKey;
    const sealed = sealOutput(sealedTo as Hex, taskId, address, salt, canonical);
    const committedHash =
      tamper === "wrong-commitment" ? outputHashOf(`${canonical} `) : outputHashOf(canonical);
    const commitment = commitmentOf(taskId, address, committedHash, salt);
    await send(index, taskManager.address, taskManagerAbi, "commit", [taskId, commitment, sealed]);
    return { salt, outputHash: outputHashOf(canonical), address };
  };

  /** Node `index` reveals its own commitment. */
  const nodeReveal = async (index: number, taskId: bigint, canonical: string) => {
    const { key, address } = devAccount(index);
    const salt = await deriveSalt(key, domain, taskId);
    await send(index, taskManager.address, taskManagerAbi, "reveal", [
      taskId,
      address,
      outputHashOf(canonical),
      salt,
    ]);
  };

  /** Empties account `index`'s native-coin balance. */
  const drain = async (index: number) => {
    await networkHelpers.setBalance(devAccount(index).address, 0n);
  };

  return {
    conn,
    send,
    drain,
    omniTokenAbi,
    viem,
    networkHelpers,
    token,
    staking,
    registry,
    taskManager,
    publicClient,
    deployment,
    requester,
    contextFor,
    nodeCommit,
    nodeReveal,
    domain,
    deployConsumer,
    consumerAbi,
  };
}

/** A spec and model for tests: any 32 bytes stand for the ONNX file's sha256 here. */
export const TEST_SPEC = JSON.stringify({
  inputs: [{ name: "x", type: "float32", dims: [1, 2] }],
  outputs: [{ name: "label", rule: { op: "argmax" } }],
  execution: {
    runtime: "onnxruntime",
    version: "1.x",
    graphOptimizationLevel: "disabled",
    providers: ["cpu"],
    margin: 1e-6,
  },
  maxInputBytes: 1024,
});
export const TEST_INPUT = { inputs: { x: { type: "float32", dims: [1, 2], data: [0.25, 0.75] } } };
export const OUT_A = '{"outputs":[{"name":"label","dims":[1],"data":[1]}]}';
export const OUT_B = '{"outputs":[{"name":"label","dims":[1],"data":[0]}]}';

/** Polls `cond` every 10 ms until it holds (or fails after `ms`). */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
