/**
 * Governance by OMNIT holders (issue 13, PROTOCOL.md §10), on the deployment a shared network gets
 * (the Ignition module's handover: the timelock owns NodeStaking and TaskManager, the deployer
 * holds no timelock role): a parameter change goes propose → vote → queue → execute, and an
 * out-of-bound value passes the vote and the queue but still reverts at execution with the
 * setter's bound error. The same flow runs on the in-process chain (EDR) and on `hardhat node`
 * over JSON-RPC.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { zeroAddress, type Abi, type Address } from "viem";
import { nodeStakingAbi, taskManagerAbi, timelockControllerAbi } from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { TIMELOCK_ROLES } from "../../deploy/modules/OmniTensor.ts";
import {
  clientsFor,
  devAddress,
  increaseTime,
  sendAs,
  setIntervalMining,
  startHardhatNode,
  type LocalChain,
  type Target,
} from "../support/devnet.ts";
import {
  TEST_GOVERNANCE,
  deployGoverned,
  fundVoters,
  governorOf,
  mineBlocks,
  parseEther,
  revealWindowProposal,
  revertOf,
} from "../support/governance.ts";

const FOR = 1;
const AGAINST = 0;

async function read<T>(
  target: Target,
  d: Deployment,
  address: Address,
  abi: Abi,
  fn: string,
  args: unknown[] = [],
) {
  const { publicClient } = await clientsFor(target, 0, d.chainId);
  return publicClient.readContract({ address, abi, functionName: fn, args }) as Promise<T>;
}

/** What the handover leaves: the timelock owns both contracts, the deployer holds no timelock role. */
async function checkHandover(target: Target, d: Deployment): Promise<void> {
  const timelock = d.contracts.TimelockController!;
  const governor = d.contracts.OmniGovernor!;
  for (const [address, abi] of [
    [d.contracts.TaskManager, taskManagerAbi],
    [d.contracts.NodeStaking, nodeStakingAbi],
  ] as const) {
    assert.equal(await read(target, d, address, abi, "owner"), timelock);
    assert.equal(await read(target, d, address, abi, "pendingOwner"), zeroAddress);
  }
  assert.equal(
    await read(target, d, timelock, timelockControllerAbi, "getMinDelay"),
    TEST_GOVERNANCE.timelockDelay,
  );
  for (const role of Object.values(TIMELOCK_ROLES)) {
    const has = await read(target, d, timelock, timelockControllerAbi, "hasRole", [role, devAddress(0)]);
    assert.equal(has, false, `the deployer holds no timelock role (${role})`);
  }
  for (const role of [
    TIMELOCK_ROLES.PROPOSER_ROLE,
    TIMELOCK_ROLES.CANCELLER_ROLE,
    TIMELOCK_ROLES.EXECUTOR_ROLE,
  ])
    assert.equal(await read(target, d, timelock, timelockControllerAbi, "hasRole", [role, governor]), true);
  // The deployer is no longer the owner: a direct call of a setter fails.
  await assert.rejects(
    sendAs(target, 0, d.contracts.TaskManager, taskManagerAbi, "setRevealWindow", [7200n], d.chainId),
  );
}

/** propose → vote → queue → execute for a good value and an out-of-bound one. */
async function flow(target: Target): Promise<void> {
  const d = await deployGoverned(target);
  await checkHandover(target, d);
  const g = governorOf(target, d);
  assert.equal(await g.read("token"), d.contracts.OmniToken);
  assert.equal(await g.read("timelock"), d.contracts.TimelockController);
  assert.equal(await g.read("CLOCK_MODE"), "mode=blocknumber&from=default", "OMNIT's clock: block numbers");

  // 4 % quorum of 1e9 OMNIT = 40M: voter 1 (50M) carries it, voter 2 (10M) votes against.
  await fundVoters(target, d, [1], parseEther("50000000"));
  await fundVoters(target, d, [2], parseEther("10000000"));

  const good = revealWindowProposal(d, 7200n, "Set the reveal window to 2 hours");
  const bad = revealWindowProposal(d, 1n, "Set the reveal window to 1 second (out of bounds)");
  const goodId = await g.idOf(good);
  const badId = await g.idOf(bad);
  await g.propose(1, good);
  await g.propose(1, bad);
  assert.equal(await g.state(goodId), "Pending");

  await mineBlocks(target, TEST_GOVERNANCE.votingDelay + 1n);
  assert.equal(await g.state(goodId), "Active");
  await g.vote(1, goodId, FOR);
  await g.vote(2, goodId, AGAINST);
  await g.vote(1, badId, FOR);
  const [against, forVotes] = await g.read<readonly [bigint, bigint, bigint]>("proposalVotes", [goodId]);
  assert.equal(forVotes, parseEther("50000000"));
  assert.equal(against, parseEther("10000000"));

  await mineBlocks(target, TEST_GOVERNANCE.votingPeriod);
  assert.equal(await g.state(goodId), "Succeeded");
  const queued = await g.queue(3, good); // anyone may queue and execute a passed proposal
  await g.queue(3, bad);
  assert.equal(await g.state(goodId), "Queued");
  const { publicClient } = await clientsFor(target, 0, d.chainId);
  const queuedAt = (await publicClient.getBlock({ blockNumber: queued.blockNumber })).timestamp;
  const eta = await g.read<bigint>("proposalEta", [goodId]);
  assert.equal(
    eta,
    queuedAt + TEST_GOVERNANCE.timelockDelay,
    "eta: the queueing block's time + the timelock's delay",
  );

  // Too early: the timelock refuses.
  const early = await revertOf(target, d, 3, "execute", [
    good.targets,
    good.values,
    good.calldatas,
    good.descriptionHash,
  ]);
  assert.equal(early.errorName, "TimelockUnexpectedOperationState");

  await increaseTime(target, TEST_GOVERNANCE.timelockDelay + 1n);
  await g.execute(3, good);
  assert.equal(await g.state(goodId), "Executed");
  assert.equal(await read(target, d, d.contracts.TaskManager, taskManagerAbi, "revealWindow"), 7200n);

  // The vote does not lift the setter's bounds: execution reverts with the TaskManager's own error.
  const oob = await revertOf(target, d, 3, "execute", [
    bad.targets,
    bad.values,
    bad.calldatas,
    bad.descriptionHash,
  ]);
  assert.equal(oob.errorName, "TaskManagerParameterOutOfBounds");
  assert.deepEqual(oob.args, ["revealWindow", 1n]);
  await assert.rejects(g.execute(3, bad));
  assert.equal(await g.state(badId), "Queued", "the failed execution changed nothing");
  assert.equal(await read(target, d, d.contracts.TaskManager, taskManagerAbi, "revealWindow"), 7200n);
}

describe("governance: propose → vote → queue → execute (in-process chain)", () => {
  it("changes a parameter through the timelock; an out-of-bound value reverts at execution", async () => {
    const conn = await network.create();
    await flow(conn.provider as unknown as Target);
  });
});

describe("governance: propose → vote → queue → execute (hardhat node over RPC)", () => {
  let chain: LocalChain;
  before(async () => {
    chain = await startHardhatNode();
    // Blocks only when the test mines them: OMNIT's clock counts blocks, and a block a second
    // would race the test's "Pending" and "Active" checks on a busy machine.
    await setIntervalMining(chain.rpcUrl, 0);
  });
  after(async () => {
    await chain?.stop();
  });

  it("changes a parameter through the timelock; an out-of-bound value reverts at execution", async () => {
    await flow(chain.rpcUrl);
  });
});
