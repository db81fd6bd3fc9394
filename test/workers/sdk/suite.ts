/**
 * An in-process Hardhat chain with the four contracts deployed by the project's Ignition module,
 * staked compute nodes and a funded requester, for the SDK tests. Importing it has no side effects.
 * Nodes commit with the real §7 encodings (derived salt, sealed output, commitment), as the
 * compute bot does.
 */
import { network } from "hardhat";
import { getContract, parseAbi, parseEther, type Abi, type Address, type Hex, type PublicClient } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import OmniTensorModule from "../../../deploy/modules/OmniTensor.ts";
import {
  modelRegistryAbi,
  nodeStakingAbi,
  omniTokenAbi,
  taskManagerAbi,
} from "../../../workers/src/chain/abis.ts";
import { commitmentOf, deriveSalt, outputHashOf, sealOutput } from "../../../workers/src/protocol/index.ts";
import type { OmniTensorContext } from "../../../workers/src/sdk/index.ts";

const MNEMONIC = "test test test test test test test test test test test junk";

/** Hardhat's default account `index`: its private key and address. */
export function devAccount(index: number): { key: Hex; address: Address } {
  const a = mnemonicToAccount(MNEMONIC, { addressIndex: index });
  return { key: `0x${Buffer.from(a.getHdKey().privateKey!).toString("hex")}` as Hex, address: a.address };
}

export const HOUR = 3600n;

export async function deploySuite(opts: { computeNodes?: number[]; requester?: number } = {}) {
  const conn = await network.create();
  const { ignition, viem, networkHelpers } = conn;
  // Ignition's typed results depend on artifacts/ typings; the SDK's ABIs (workers/src/chain/abis.ts) type the reads here.
  const deployed = (await ignition.deploy(OmniTensorModule)) as unknown as Record<
    "token" | "staking" | "registry" | "taskManager",
    { address: Address }
  >;
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const client = { public: publicClient as unknown as PublicClient };
  const token = getContract({ address: deployed.token.address, abi: omniTokenAbi, client });
  const staking = getContract({ address: deployed.staking.address, abi: nodeStakingAbi, client });
  const registry = getContract({ address: deployed.registry.address, abi: modelRegistryAbi, client });
  const taskManager = getContract({ address: deployed.taskManager.address, abi: taskManagerAbi, client });
  const deployment = {
    chainId,
    startBlock: 0,
    contracts: {
      OmniToken: token.address,
      NodeStaking: staking.address,
      ModelRegistry: registry.address,
      TaskManager: taskManager.address,
    },
  };

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
  for (const i of computeNodes) {
    const node = devAccount(i).address;
    await send(0, token.address, omniTokenAbi, "transfer", [node, parseEther("20000")]);
    await send(i, token.address, omniTokenAbi, "approve", [staking.address, parseEther("20000")]);
    await send(i, staking.address, nodeStakingAbi, "stake", [parseEther("20000"), 1, `node-${i}`]);
  }
  const requester = devAccount(opts.requester ?? 5).address;
  await send(0, token.address, omniTokenAbi, "transfer", [requester, parseEther("1000")]);

  /** Deploys an ExampleConsumer for this TaskManager; returns its address. */
  const deployConsumer = async (): Promise<Address> =>
    ((await viem.deployContract("ExampleConsumer", [taskManager.address])) as unknown as { address: Address })
      .address;
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
