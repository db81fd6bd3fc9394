/**
 * End to end, the undisputed path: a `hardhat node`, real Redis, the real tiny-mlp ONNX model, 3 compute
 * bots and 1 verifier bot as separate processes; redundancy 3, nobody cheats and the requester does not
 * dispute. The 24 h protocol windows pass by time travel. The bots take the seats, draw the verifiers,
 * commit, reveal, finalize, claim, deliver and withdraw on their own; the test checks every credit of §6
 * exactly from the events. Every process and Redis key is cleaned up in `after`, even on failure.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseAbiItem, parseEther, type Abi, type AbiEvent, type Address, type Hex } from "viem";
import { devAddress, devKey, increaseTime, type LocalChain } from "../support/devnet.ts";
import { actor, waitForBotsStarted, rpcCall, waitFor, type BotProcess } from "./support.ts";
import { TestNetwork } from "../support/e2e.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { nodeStakingAbi } from "../../workers/src/chain/abis.ts";
import { knownModel } from "../support/models.ts";
import { generateResultKey, openSealedOutput } from "../../workers/src/protocol/index.ts";

const REDIS_DB = 14;
const PREFIX = `e2e-happy-${process.pid}`;
const COMPUTE = [1, 2, 3];
const VERIFIER = 5;
const BOTS = [...COMPUTE, VERIFIER];
const MODEL_OWNER = 9;
const REQUESTER = 10;
const STAKE = parseEther("20000");
const ROYALTY_BPS = 500n;
// An odd reward, so that the division by the redundancy leaves a remainder for the requester.
const REWARD = parseEther("10") + 8n;
const PLACE_SEAT = 1;

interface TaskView {
  requester: Address;
  status: number;
  seatHolders: readonly Address[];
  committedVerifiers: number;
  revealedCount: number;
  seatDeadline: bigint;
  verifyDeadline: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  acceptedOutputHash: Hex;
  verifierFeeBps: number;
  royaltyBps: number;
  redundancy: number;
  reward: bigint;
  workerShare: bigint;
  verifierPay: bigint;
  bondShare: bigint;
  perWinner: bigint;
  disputed: boolean;
  delivered: boolean;
  n: number;
  m: number;
}

const ev = {
  committed: parseAbiItem(
    "event Committed(uint256 indexed taskId, address indexed node, uint8 place, bytes sealedOutput)",
  ),
  finalized: parseAbiItem(
    "event TaskFinalized(uint256 indexed taskId, bytes32 outputHash, uint256 n, uint256 m)",
  ),
  claimed: parseAbiItem("event Claimed(uint256 indexed taskId, address indexed node, uint256 amount)"),
  withdrawn: parseAbiItem("event Withdrawn(address indexed account, uint256 amount)"),
  liquidated: parseAbiItem(
    "event Liquidated(uint256 indexed taskId, address indexed node, uint256 amount, address indexed liquidator)",
  ),
  delivered: parseAbiItem("event ResultDelivered(uint256 indexed taskId, bytes output)"),
  disputed: parseAbiItem("event TaskDisputed(uint256 indexed taskId, address indexed by, uint256 bond)"),
} as const;

describe("e2e: the undisputed path with 3 compute bots + 1 verifier bot", { timeout: 300_000 }, () => {
  const tiny = knownModel("tiny-mlp");
  const net = new TestNetwork({
    name: "happy",
    redis: { db: REDIS_DB, prefix: PREFIX },
    nodes: [
      ...COMPUTE.map((index) => ({ index, roles: 1, stake: STAKE })),
      { index: VERIFIER, roles: 2, stake: STAKE },
    ],
    requester: REQUESTER,
    model: {
      owner: MODEL_OWNER,
      sha256: tiny.sha256,
      spec: tiny.specJson,
      path: tiny.path,
      royaltyBps: Number(ROYALTY_BPS),
    },
  });
  let chain: LocalChain;
  let d: Deployment;
  let modelId: Hex;
  const bots = new Map<number, BotProcess>();

  before(async () => {
    ({ chain, d, modelId } = await net.start());
    for (const i of BOTS)
      bots.set(i, net.startBot(i, { roles: i === VERIFIER ? ["verifier"] : ["compute"] }));
  });

  after(() => net.stop());

  it("finalizes with m = 0, pays every seat, the verifier, the royalty and the remainder, delivers, releases every bond", async () => {
    const req = actor(chain.rpcUrl, d, devKey(REQUESTER));
    const key = generateResultKey();
    await waitForBotsStarted(bots.values());
    const balancesBefore = new Map<number, bigint>();
    for (const i of BOTS) balancesBefore.set(i, await req.balanceOf(devAddress(i)));
    const requesterCreditBefore = await req.tm<bigint>("creditOf", [devAddress(REQUESTER)]);
    const ownerCreditBefore = await req.tm<bigint>("creditOf", [devAddress(MODEL_OWNER)]);

    const taskId = await req.createTask({
      modelId,
      input: knownModel("tiny-mlp").sampleInput(1),
      reward: REWARD,
      redundancy: 3,
      resultKey: key.publicKey,
    });
    const task = () => req.tm<TaskView>("getTask", [taskId]);
    const logs = async <E extends AbiEvent>(event: E, args?: Record<string, unknown>) =>
      req.publicClient.getLogs({
        address: d.contracts.TaskManager,
        event: event as AbiEvent,
        args,
        fromBlock: 0n,
      } as Parameters<typeof req.publicClient.getLogs>[0]) as Promise<
        { args: Record<string, unknown>; transactionHash: Hex }[]
      >;

    // The arithmetic of §6, from the task's copied parameters.
    const t0 = await task();
    assert.equal(BigInt(t0.royaltyBps), ROYALTY_BPS);
    const royalty = (REWARD * ROYALTY_BPS) / 10_000n;
    const fee = (REWARD * BigInt(t0.verifierFeeBps)) / 10_000n;
    const w = (REWARD - royalty - fee) / 3n;
    const remainder = (REWARD - royalty - fee) % 3n;
    assert.equal(t0.workerShare, w);
    assert.ok(remainder > 0n, "the reward leaves a remainder");

    // 1. Seats: the three compute bots run the model and commit.
    await waitFor("3 seats committed", async () => (await task()).seatHolders.length === 3, 120_000);

    // 2. The seat window closes: the verifier bot draws the verifiers and, if sampled, commits.
    await increaseTime(chain.rpcUrl, t0.seatDeadline - (await chainNow()) + 1n);
    await waitFor(
      "verifiers drawn",
      async () =>
        (await logs(parseAbiItem("event VerifiersDrawn(uint256 indexed taskId)"), { taskId })).length === 1,
      120_000,
    );
    const [, sampled] = await req.tm<readonly [boolean, boolean, boolean]>("isEligible", [
      taskId,
      devAddress(VERIFIER),
    ]);
    const sampledNow = sampled || (await task()).committedVerifiers > 0;
    if (sampledNow)
      await waitFor("the verifier committed", async () => (await task()).committedVerifiers === 1, 120_000);
    const expectedCommits = 3 + (sampledNow ? 1 : 0);

    // The requester opens every sealed output: all agree, so it does not dispute.
    const committed = await logs(ev.committed, { taskId });
    assert.equal(committed.length, expectedCommits);
    const outputs = new Set<string>();
    for (const l of committed) {
      const opened = openSealedOutput(
        key.privateKey,
        taskId,
        l.args.node as Address,
        l.args.sealedOutput as Hex,
      );
      outputs.add(new TextDecoder().decode(opened.canonical));
    }
    assert.equal(outputs.size, 1, "every node committed the same output");
    assert.match([...outputs][0]!, /^\{"outputs":\[/);
    const seatNodes = committed
      .filter((l) => Number(l.args.place) === PLACE_SEAT)
      .map((l) => l.args.node as Address);
    assert.deepEqual(
      seatNodes.map((a) => a.toLowerCase()).sort(),
      COMPUTE.map((i) => devAddress(i).toLowerCase()).sort(),
    );

    // 3. Reveal window, then finalize (by a bot), claim, deliver, withdraw.
    await increaseTime(chain.rpcUrl, t0.commitDeadline - (await chainNow()) + 1n);
    await waitFor(
      "every commit revealed",
      async () => (await task()).revealedCount === expectedCommits,
      120_000,
    );
    await increaseTime(chain.rpcUrl, t0.revealDeadline - (await chainNow()) + 1n);
    await waitFor("task finalized", async () => (await task()).status === 5, 120_000);
    const fin = await task();
    assert.equal(fin.m, 0);
    assert.equal(fin.n, expectedCommits);
    assert.equal(fin.disputed, false);
    const finalized = await logs(ev.finalized, { taskId });
    assert.equal(finalized.length, 1);
    assert.equal(finalized[0]!.args.m, 0n);
    assert.equal(finalized[0]!.args.n, BigInt(expectedCommits));
    assert.equal(finalized[0]!.args.outputHash, fin.acceptedOutputHash);
    const pay = sampledNow ? (fee < w ? fee : w) : 0n;
    assert.equal(fin.verifierPay, pay, "verifier pay = min(w, fee / v)");

    await waitFor("result delivered", async () => (await task()).delivered, 120_000);
    const paidBots = sampledNow ? BOTS : COMPUTE;
    await waitFor(
      "every bot claimed, withdrew and got its bond back",
      async () => {
        for (const i of paidBots) {
          if ((await req.balanceOf(devAddress(i))) <= balancesBefore.get(i)!) return false;
          if ((await req.tm<bigint>("creditOf", [devAddress(i)])) !== 0n) return false;
        }
        for (const i of BOTS) if ((await lockedOf(devAddress(i))) !== 0n) return false;
        return true;
      },
      120_000,
    );

    // Every seat holder was paid exactly w, the verifier exactly min(w, fee / v), and withdrew exactly that.
    for (const i of paidBots) {
      const who = devAddress(i);
      const claimed = (await logs(ev.claimed, { taskId, node: who })).reduce(
        (s, l) => s + (l.args.amount as bigint),
        0n,
      );
      const withdrawn = (await logs(ev.withdrawn, { account: who })).reduce(
        (s, l) => s + (l.args.amount as bigint),
        0n,
      );
      const gained = (await req.balanceOf(who)) - balancesBefore.get(i)!;
      const due = i === VERIFIER ? pay : w;
      assert.equal(claimed, due, `bot ${i} claimed exactly its share`);
      assert.equal(withdrawn, due, `bot ${i} withdrew exactly its share`);
      assert.equal(gained, due, `bot ${i}'s wallet gained exactly its share`);
      assert.equal(await req.tm<bigint>("creditOf", [who]), 0n, `bot ${i} has no credit left`);
    }
    if (!sampledNow) assert.equal(await req.balanceOf(devAddress(VERIFIER)), balancesBefore.get(VERIFIER)!);
    for (const i of BOTS) assert.equal(await lockedOf(devAddress(i)), 0n, `bot ${i}'s bonds are released`);

    // The royalty and the requester's remainder are credited (nobody withdraws them for their owners).
    assert.equal(await req.tm<bigint>("creditOf", [devAddress(MODEL_OWNER)]), ownerCreditBefore + royalty);
    assert.equal(
      await req.tm<bigint>("creditOf", [devAddress(REQUESTER)]),
      requesterCreditBefore + remainder,
    );

    // Delivered by a bot, with the accepted output; nobody disputed, nobody was liquidated.
    const delivered = await logs(ev.delivered, { taskId });
    assert.equal(delivered.length, 1);
    const tx = await req.publicClient.getTransaction({ hash: delivered[0]!.transactionHash });
    assert.ok(
      BOTS.map((i) => devAddress(i).toLowerCase()).includes(tx.from.toLowerCase()),
      `delivered by a bot (${tx.from})`,
    );
    assert.equal(new TextDecoder().decode(hexToBytes(delivered[0]!.args.output as Hex)), [...outputs][0]);
    assert.equal((await logs(ev.liquidated, { taskId })).length, 0, "nobody liquidated");
    assert.equal((await logs(ev.disputed, { taskId })).length, 0, "nobody disputed");
  });

  function lockedOf(a: Address): Promise<bigint> {
    return actor(chain.rpcUrl, d, devKey(0)).read<bigint>(
      d.contracts.NodeStaking,
      nodeStakingAbi as Abi,
      "lockedOf",
      [a],
    );
  }

  async function chainNow(): Promise<bigint> {
    const b = (await rpcCall(chain.rpcUrl, "eth_getBlockByNumber", ["latest", false])) as { timestamp: Hex };
    return BigInt(b.timestamp);
  }
});

function hexToBytes(h: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(h.slice(2), "hex"));
}
