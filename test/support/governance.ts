/**
 * Governance helpers of the tests (issue 13): a handed-over deployment (the timelock owns
 * NodeStaking and TaskManager, PROTOCOL.md §10), voters who hold and delegate OMNIT, block mining
 * for OMNIT's block-number clock, and one proposal's life through the governor with viem.
 * Importing it has no side effects.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  keccak256,
  parseEther,
  toHex,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import {
  omniGovernorAbi,
  omniTokenAbi,
  taskManagerAbi,
  timelockControllerAbi,
} from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { clientsFor, deployDevnet, devAddress, rpc, sendAs, transferOmnit, type Target } from "./devnet.ts";

/** Governance parameters small enough for tests: 1-block delay, 20-block vote, 60-second timelock. */
export const TEST_GOVERNANCE = {
  votingDelay: 1n,
  votingPeriod: 20n,
  proposalThreshold: 0n,
  quorumPercent: 4n,
  timelockDelay: 60n,
} as const;

/** The governor's ProposalState enum, by index. */
export const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;

/** Mines `n` blocks at once (hardhat_mine; one evm_mine at a time where the chain lacks it). */
export async function mineBlocks(target: Target, n: bigint | number): Promise<void> {
  try {
    await rpc(target, "hardhat_mine", [toHex(BigInt(n))]);
  } catch {
    for (let i = 0n; i < BigInt(n); i++) await rpc(target, "evm_mine", []);
  }
}

/** A deployment as a shared network has it: deployed by account 0, then handed over to the timelock. */
export async function deployGoverned(target: Target): Promise<Deployment> {
  const { deployment } = await deployDevnet(target, { handover: true, governance: TEST_GOVERNANCE });
  return deployment;
}

/** Gives each voter `amount` OMNIT from the treasury (account 0) and has it delegate to itself. */
export async function fundVoters(
  target: Target,
  d: Deployment,
  voters: number[],
  amount: bigint,
): Promise<void> {
  for (const v of voters) {
    await transferOmnit(target, d, [devAddress(v)], amount);
    await sendAs(target, v, d.contracts.OmniToken, omniTokenAbi, "delegate", [devAddress(v)], d.chainId);
  }
}

/** One proposal: a single call of `target`. */
export interface Proposal {
  targets: Address[];
  values: bigint[];
  calldatas: Hex[];
  description: string;
  descriptionHash: Hex;
}

/** A proposal that calls TaskManager.setRevealWindow(value). */
export function revealWindowProposal(d: Deployment, value: bigint, description: string): Proposal {
  return {
    targets: [d.contracts.TaskManager],
    values: [0n],
    calldatas: [encodeFunctionData({ abi: taskManagerAbi, functionName: "setRevealWindow", args: [value] })],
    description,
    descriptionHash: keccak256(toHex(description)),
  };
}

/** Reads and writes of the governor for one deployment on `target`. */
export function governorOf(target: Target, d: Deployment) {
  const governor = d.contracts.OmniGovernor!;
  const read = async <T>(functionName: string, args: readonly unknown[] = [], abi: Abi = omniGovernorAbi) => {
    const { publicClient } = await clientsFor(target, 0, d.chainId);
    return publicClient.readContract({ address: governor, abi, functionName, args }) as Promise<T>;
  };
  const send = (who: number, functionName: string, args: readonly unknown[]) =>
    sendAs(target, who, governor, omniGovernorAbi, functionName, args, d.chainId);
  const idOf = (p: Proposal) =>
    read<bigint>("hashProposal", [p.targets, p.values, p.calldatas, p.descriptionHash]);
  return {
    governor,
    read,
    send,
    idOf,
    state: async (id: bigint) => PROPOSAL_STATES[Number(await read<number>("state", [id]))],
    propose: (who: number, p: Proposal) =>
      send(who, "propose", [p.targets, p.values, p.calldatas, p.description]),
    vote: (who: number, id: bigint, support: 0 | 1 | 2) => send(who, "castVote", [id, support]),
    queue: (who: number, p: Proposal) =>
      send(who, "queue", [p.targets, p.values, p.calldatas, p.descriptionHash]),
    execute: (who: number, p: Proposal) =>
      send(who, "execute", [p.targets, p.values, p.calldatas, p.descriptionHash]),
  };
}

/**
 * The custom error a call would revert with, decoded with the governor's, the timelock's and the
 * TaskManager's errors (a revert in the target bubbles up through the timelock and the governor).
 */
export async function revertOf(
  target: Target,
  d: Deployment,
  who: number,
  functionName: string,
  args: readonly unknown[],
): Promise<{ errorName?: string; args?: readonly unknown[] }> {
  const { publicClient } = await clientsFor(target, who, d.chainId);
  const errors = [...timelockControllerAbi, ...taskManagerAbi].filter((x) => x.type === "error");
  try {
    await publicClient.simulateContract({
      address: d.contracts.OmniGovernor!,
      abi: [...omniGovernorAbi, ...errors] as Abi,
      functionName,
      args,
      account: devAddress(who),
    });
  } catch (e) {
    const r =
      e instanceof BaseError
        ? (e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null)
        : null;
    if (r) return { errorName: r.data?.errorName, args: r.data?.args };
    throw e;
  }
  throw new Error(`${functionName} did not revert`);
}

export { parseEther };
