/**
 * End to end: a `hardhat node`, real Redis, the real tiny-mlp ONNX model, and 6 bots as separate
 * processes (4 compute, one of them cheating through an output transform; 2 verifiers). The
 * 24 h protocol windows pass by time travel. Along the way the faults of issue 6 are injected:
 * a compute bot is killed with SIGKILL after it committed and restarted (it must reveal in time),
 * one verifier's Redis state is wiped mid-run (it must rebuild from the chain and still reveal),
 * and one compute bot reaches the RPC through a TCP proxy that is cut for 30 s.
 * Every process is started in its own process group and stopped in `after`, even on failure.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  encodeAbiParameters,
  keccak256,
  parseAbiItem,
  parseEther,
  zeroHash,
  type Address,
  type Hex,
} from "viem";
import {
  devAddress,
  devKey,
  freePort,
  fundAndStake,
  increaseTime,
  type LocalChain,
} from "../support/devnet.ts";
import {
  actor,
  waitForBotsStarted,
  rpcCall,
  TcpProxy,
  waitFor,
  wipeRedis,
  type BotProcess,
} from "./support.ts";
import { TestNetwork } from "../support/e2e.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { nodeStakingAbi, taskManagerAbi } from "../../workers/src/chain/abis.ts";
import { knownModel } from "../support/models.ts";
import { generateResultKey, openSealedOutput } from "../../workers/src/protocol/index.ts";

const REDIS_DB = 11;
const PREFIX = `e2e-${process.pid}`;
const COMPUTE = [1, 2, 3, 4];
const CHEATER = 4;
const VERIFIERS = [5, 6];
/** A third validator, staked and started for the second test only (the first one's counts stay as they are). */
const JUROR = 7;
const REQUESTER = 10;
const STAKE = parseEther("20000");

interface TaskView {
  status: number;
  seatHolders: readonly Address[];
  committedVerifiers: number;
  revealedCount: number;
  liveCommitments: number;
  createdAt: bigint;
  seatDeadline: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  acceptedOutputHash: Hex;
  workerShare: bigint;
  verifierPay: bigint;
  bondShare: bigint;
  perWinner: bigint;
  liquidatorBountyBps: number;
  delivered: boolean;
  n: number;
  m: number;
}

interface SeedView extends TaskView {
  committedJurors: number;
  seatSeed: Hex;
  seatSeedBlock: bigint;
  verifierSeed: Hex;
  validatorCount: bigint | number;
  expectedVerifiers: bigint | number;
  juryLiable: boolean;
  bond: bigint;
}

/** Sortition.isDrawn: uint256(keccak256(abi.encode(seed, node, kind))) % count < expected. */
function isDrawn(seed: Hex, node: Address, kind: number, count: bigint, expected: bigint): boolean {
  if (count === 0n) return false;
  const h = keccak256(
    encodeAbiParameters([{ type: "bytes32" }, { type: "address" }, { type: "uint8" }], [seed, node, kind]),
  );
  return BigInt(h) % count < expected;
}

describe("e2e: 4 compute bots + 2 verifier bots (+ a third validator)", { timeout: 600_000 }, () => {
  const tiny = knownModel("tiny-mlp");
  const net = new TestNetwork({
    name: "bots",
    redis: { db: REDIS_DB, prefix: PREFIX },
    nodes: [
      ...COMPUTE.map((index) => ({ index, roles: 1, stake: STAKE })),
      ...VERIFIERS.map((index) => ({ index, roles: 2, stake: STAKE })),
    ],
    requester: REQUESTER,
    model: { owner: 9, sha256: tiny.sha256, spec: tiny.specJson, path: tiny.path },
  });
  let chain: LocalChain;
  let d: Deployment;
  let proxy: TcpProxy;
  const bots = new Map<number, BotProcess>();
  let modelId: Hex;

  before(async () => {
    net.onStop(async () => proxy?.stop());
    ({ chain, d, modelId } = await net.start());
    proxy = new TcpProxy(await freePort(), chain.port);
    await proxy.start();
    for (const i of [...COMPUTE, ...VERIFIERS]) bots.set(i, start(i));
  });

  function start(i: number): BotProcess {
    // The cheater is the same node with an output transform (test/e2e/cheater-node.ts).
    const script = i === CHEATER ? join(import.meta.dirname, "cheater-node.ts") : undefined;
    return net.startBot(
      i,
      {
        rpcUrl: i === 3 ? `http://127.0.0.1:${proxy.port}` : chain.rpcUrl,
        roles: [...VERIFIERS, JUROR].includes(i) ? ["verifier"] : ["compute"],
      },
      script,
    );
  }

  after(() => net.stop());

  it("runs a disputed task to finalization, liquidates the cheater, pays the honest nodes, and survives the faults", async () => {
    const req = actor(chain.rpcUrl, d, devKey(REQUESTER));
    const key = generateResultKey();
    await waitForBotsStarted(bots.values());

    const balancesBefore = new Map<number, bigint>();
    for (const i of [...COMPUTE, ...VERIFIERS]) balancesBefore.set(i, await req.balanceOf(devAddress(i)));
    const input = knownModel("tiny-mlp").sampleInput(1);
    const taskId = await req.createTask({
      modelId,
      input,
      reward: parseEther("10"),
      redundancy: 4,
      resultKey: key.publicKey,
    });
    const task = () => req.tm<TaskView>("getTask", [taskId]);

    // 1. Seats: the four compute bots run the model and commit.
    await waitFor("4 seats committed", async () => (await task()).seatHolders.length === 4, 120_000);

    // Fault: kill -9 a compute bot after it committed; it is restarted later, before the reveal window.
    await bots.get(2)!.kill9();

    // 2. The seat window closes: a verifier bot draws the verifiers; both verifiers commit.
    const t0 = await task();
    await increaseTime(chain.rpcUrl, t0.seatDeadline - (await chainNow()) + 1n);
    await waitFor("2 verifier commits", async () => (await task()).committedVerifiers === 2, 120_000);

    // 3. The requester opens every sealed output, sees the cheater's disagreement and disputes.
    const committed = await req.publicClient.getLogs({
      address: d.contracts.TaskManager,
      event: parseAbiItem(
        "event Committed(uint256 indexed taskId, address indexed node, uint8 place, bytes sealedOutput)",
      ),
      args: { taskId },
      fromBlock: 0n,
    });
    assert.equal(committed.length, 6);
    const outputs = new Map<string, string>();
    for (const l of committed) {
      const opened = openSealedOutput(key.privateKey, taskId, l.args.node!, l.args.sealedOutput!);
      outputs.set(l.args.node!.toLowerCase(), new TextDecoder().decode(opened.canonical));
    }
    const honest = outputs.get(devAddress(1).toLowerCase())!;
    assert.match(honest, /^\{"outputs":\[/);
    for (const i of [1, 2, 3, ...VERIFIERS])
      assert.equal(outputs.get(devAddress(i).toLowerCase()), honest, `bot ${i} agrees`);
    assert.notEqual(
      outputs.get(devAddress(CHEATER).toLowerCase()),
      honest,
      "the cheater committed another result",
    );
    await req.send(
      d.contracts.TaskManager,
      (await import("../../workers/src/chain/abis.ts")).taskManagerAbi,
      "dispute",
      [taskId],
    );

    // Fault: the RPC of bot 3 (through the proxy) is unreachable for 30 s, then back.
    await proxy.stop();
    await new Promise((r) => setTimeout(r, 30_000));
    await proxy.start();

    // Fault: wipe the Redis state of verifier 5 while it runs; it rebuilds from the chain.
    const wiped = await wipeRedis(`${PREFIX}-bot5`, REDIS_DB);
    assert.ok(wiped > 0, "verifier 5 had state in Redis");

    // Restart the killed compute bot (it will reveal from its queued job / rescanned events).
    bots.set(2, start(2));
    await waitFor(
      "bot 2 restarted",
      async () => readFileSync(bots.get(2)!.logFile, "utf8").split("node started").length > 2,
      120_000,
      500,
    );

    // 4. Reveal window: every committed node reveals (the cheater reveals its wrong hash).
    await increaseTime(chain.rpcUrl, t0.commitDeadline - (await chainNow()) + 1n);
    await waitFor("6 reveals", async () => (await task()).revealedCount === 6, 180_000);

    // 5. Finalize, liquidate the cheater, claim, deliver, withdraw.
    await increaseTime(chain.rpcUrl, t0.revealDeadline - (await chainNow()) + 1n);
    await waitFor("task finalized", async () => (await task()).status === 5, 120_000);
    const fin = await task();
    assert.equal(fin.n, 5);
    assert.equal(fin.m, 1);
    await waitFor(
      "the cheater liquidated",
      async () =>
        (await req.tm<boolean>("isLiquidatable", [taskId, devAddress(CHEATER)])) === false &&
        (await cheaterSlashed()),
      120_000,
    );
    await waitFor("result delivered", async () => (await task()).delivered, 120_000);
    // Every node that revealed R gets its base pay (w for a seat, verifierPay + bondShare for a verifier)
    // plus floor((amount − bounty) / n) of the cheater's slashed stake; the liquidator also gets the bounty.
    const [liq] = await liquidatedLogs();
    const slashedAmount = liq!.args.amount!;
    const liquidator = liq!.args.liquidator!.toLowerCase();
    const honestIdx = [1, 2, 3, ...VERIFIERS];
    assert.ok(
      honestIdx.some((i) => devAddress(i).toLowerCase() === liquidator),
      `an honest bot liquidated the cheater (${liquidator})`,
    );
    const bounty = (slashedAmount * BigInt(fin.liquidatorBountyBps)) / 10_000n;
    const slashShare = (slashedAmount - bounty) / BigInt(fin.n);
    assert.ok(slashShare > 0n, "the slash is worth sharing");
    const baseOf = (i: number) => (VERIFIERS.includes(i) ? fin.verifierPay + fin.bondShare : fin.workerShare);
    const dueOf = (i: number) =>
      baseOf(i) + slashShare + (devAddress(i).toLowerCase() === liquidator ? bounty : 0n);
    await waitFor(
      "honest nodes paid out, their share of the slash included",
      async () => {
        for (const i of honestIdx) {
          if ((await req.balanceOf(devAddress(i))) - balancesBefore.get(i)! < dueOf(i)) return false;
          if ((await req.tm<bigint>("creditOf", [devAddress(i)])) !== 0n) return false;
        }
        return true;
      },
      120_000,
    );
    const settled = await task();
    assert.equal(settled.perWinner, slashShare, "one liquidation: perWinner = floor((amount − bounty) / n)");
    for (const i of honestIdx) {
      const who = devAddress(i);
      const gained = (await req.balanceOf(who)) - balancesBefore.get(i)!;
      const claimed = (
        await req.publicClient.getLogs({
          address: d.contracts.TaskManager,
          event: parseAbiItem("event Claimed(uint256 indexed taskId, address indexed node, uint256 amount)"),
          args: { taskId, node: who },
          fromBlock: 0n,
        })
      ).reduce((s, l) => s + l.args.amount!, 0n);
      const withdrawn = (
        await req.publicClient.getLogs({
          address: d.contracts.TaskManager,
          event: parseAbiItem("event Withdrawn(address indexed account, uint256 amount)"),
          args: { account: who },
          fromBlock: 0n,
        })
      ).reduce((s, l) => s + l.args.amount!, 0n);
      const isLiquidator = who.toLowerCase() === liquidator;
      assert.equal(claimed, baseOf(i) + slashShare, `bot ${i} claimed its pay and its share of the slash`);
      assert.equal(
        withdrawn,
        claimed + (isLiquidator ? bounty : 0n),
        `bot ${i} withdrew all it was credited`,
      );
      assert.equal(gained, withdrawn, `bot ${i}'s wallet gained what it withdrew`);
      assert.ok(gained >= dueOf(i), `bot ${i} gained at least ${dueOf(i)} (${gained})`);
      assert.equal(await req.tm<bigint>("creditOf", [who]), 0n, `bot ${i} has no credit left`);
    }
    const cheaterStake = await req.read<bigint>(
      d.contracts.NodeStaking,
      (await import("../../workers/src/chain/abis.ts")).nodeStakingAbi,
      "stakeOf",
      [devAddress(CHEATER)],
    );
    assert.ok(cheaterStake < STAKE, "the cheater lost stake");
    assert.equal(
      await req.balanceOf(devAddress(CHEATER)),
      balancesBefore.get(CHEATER)!,
      "the cheater earned nothing",
    );

    // The restarted bot revealed itself, the wiped verifier revealed and recovered.
    assert.ok(
      readFileSync(bots.get(2)!.logFile, "utf8").includes('"fn":"reveal"'),
      "bot 2 sent its reveal after the restart",
    );
    const log5 = readFileSync(bots.get(5)!.logFile, "utf8");
    assert.ok(log5.includes('"fn":"reveal"'), "verifier 5 revealed after its Redis state was wiped");
    assert.ok(
      readFileSync(bots.get(3)!.logFile, "utf8").includes("RPC reachable again"),
      "bot 3 saw its RPC come back",
    );

    async function liquidatedLogs() {
      return req.publicClient.getLogs({
        address: d.contracts.TaskManager,
        event: parseAbiItem(
          "event Liquidated(uint256 indexed taskId, address indexed node, uint256 amount, address indexed liquidator)",
        ),
        args: { taskId, node: devAddress(CHEATER) },
        fromBlock: 0n,
      });
    }

    async function cheaterSlashed(): Promise<boolean> {
      return (await liquidatedLogs()).length === 1;
    }
  });

  it("re-anchors a seat seed lost before anyone stored it (257+ blocks), and a juror with zero unlocked stake commits and is paid", async () => {
    const req = actor(chain.rpcUrl, d, devKey(REQUESTER));
    const owner = actor(chain.rpcUrl, d, devKey(0));
    const staking = <T>(fn: string, args: readonly unknown[]) =>
      req.read<T>(d.contracts.NodeStaking, nodeStakingAbi, fn, args);
    const getTask = (id: bigint) => req.tm<SeedView>("getTask", [id]);
    type EventName = "SeedRequested" | "SeedFixed" | "Committed" | "Claimed";
    const logs = <E extends EventName>(eventName: E, args: { taskId: bigint; node?: Address }) =>
      req.publicClient.getContractEvents({
        address: d.contracts.TaskManager,
        abi: taskManagerAbi,
        eventName,
        args: args as never,
        fromBlock: 0n,
        strict: true,
      });
    const input = knownModel("tiny-mlp").sampleInput(2);
    const validators = [...VERIFIERS, JUROR];

    // A third validator, active before both tasks (jurors need a validator without a verifier place).
    await fundAndStake(chain.rpcUrl, d, [{ index: JUROR, roles: 2, stake: STAKE }]);
    bots.set(JUROR, start(JUROR));
    await waitForBotsStarted([bots.get(JUROR)!]);

    // 1. Task A: nobody stores its seat seed for 300 blocks. Blocks stop (no interval mining), the
    //    task is created, 300 blocks are mined at once: the bots see a lost seed, fixSeed re-anchors it
    //    (SeedRequested) and a bot stores it two blocks later; a seat is then taken as usual.
    //    Its bond (100 × w = 12,000 OMNIT, above minStake) will keep every validator's stake locked.
    await rpcCall(chain.rpcUrl, "evm_setIntervalMining", [0]);
    const keyA = generateResultKey();
    const taskA = await req.createTask({
      modelId,
      input,
      reward: parseEther("150"),
      redundancy: 1,
      resultKey: keyA.publicKey,
    });
    const asked = (await getTask(taskA)).seatSeedBlock;
    await rpcCall(chain.rpcUrl, "hardhat_mine", ["0x12c"]);
    await rpcCall(chain.rpcUrl, "evm_setIntervalMining", [1000]);
    const requested = await waitFor(
      "the lost seat seed of task A re-anchored (SeedRequested)",
      async () => (await logs("SeedRequested", { taskId: taskA }))[0],
      60_000,
    );
    assert.equal(requested.args.kind, 1);
    assert.ok(requested.args.blockNumber > asked + 257n, "re-anchored past the 256 blocks of blockhash");
    const fixedA = await waitFor(
      "task A's re-anchored seat seed stored (SeedFixed)",
      async () => (await logs("SeedFixed", { taskId: taskA }))[0],
      60_000,
    );
    assert.equal(fixedA.args.kind, 1);
    assert.ok(fixedA.blockNumber >= requested.blockNumber + 2n, "stored from the re-anchored block + 2");
    const a0 = await waitFor(
      "task A's seat",
      async () => {
        const t = await getTask(taskA);
        return t.seatHolders.length === 1 && t;
      },
      120_000,
    );
    assert.ok(a0.bond >= parseEther("10000"), `task A's bond ${a0.bond} keeps a validator active`);
    assert.ok(
      COMPUTE.some((i) => readFileSync(bots.get(i)!.logFile, "utf8").includes("seed was lost")),
      "a compute bot logged the re-anchor",
    );

    // 2. Task A's verifiers: with expectedVerifiers (3) >= V (3), every validator is one and locks A's bond.
    await increaseTime(chain.rpcUrl, a0.seatDeadline - (await chainNow()) + 1n);
    await waitFor(
      "3 verifiers of task A",
      async () => (await getTask(taskA)).committedVerifiers === 3,
      120_000,
    );
    for (const v of validators)
      assert.equal(
        await staking<bigint>("lockedOf", [devAddress(v)]),
        a0.bond,
        `validator ${v} locked A's bond`,
      );

    // 3. Task B with one expected verifier: once its verifier seed is known, pick a validator
    //    without a verifier place (a juror-to-be) and move all of its unlocked stake to unbonding.
    //    (All three drawn happens once in 27 draws: then another task B, at most three.)
    await owner.send(d.contracts.TaskManager, taskManagerAbi, "setExpectedVerifiers", [1n]);
    let taskB = 0n;
    let zero: number | undefined;
    let drawnSet: number[] = [];
    for (let attempt = 0; attempt < 3 && zero === undefined; attempt++) {
      const keyB = generateResultKey();
      taskB = await req.createTask({
        modelId,
        input,
        reward: parseEther("10"),
        redundancy: 1,
        resultKey: keyB.publicKey,
      });
      const b0 = await waitFor(
        `task ${taskB}'s seat`,
        async () => {
          const t = await getTask(taskB);
          return t.seatHolders.length === 1 && t;
        },
        120_000,
      );
      await increaseTime(chain.rpcUrl, b0.seatDeadline - (await chainNow()) + 1n);
      const drawn = await waitFor(
        `task ${taskB}'s verifier seed stored by a bot`,
        async () => {
          const t = await getTask(taskB);
          return t.verifierSeed !== zeroHash && t;
        },
        120_000,
      );
      drawnSet = validators.filter((v) =>
        isDrawn(
          drawn.verifierSeed,
          devAddress(v),
          2,
          BigInt(drawn.validatorCount),
          BigInt(drawn.expectedVerifiers),
        ),
      );
      zero = validators.find(
        (v) =>
          !isDrawn(
            drawn.verifierSeed,
            devAddress(v),
            2,
            BigInt(drawn.validatorCount),
            BigInt(drawn.expectedVerifiers),
          ),
      );
    }
    assert.ok(zero !== undefined, "a validator without a verifier place");
    const Z = devAddress(zero);
    const drawnCount = drawnSet.length;
    await waitFor(
      `task B's ${drawnCount} sampled verifier(s) committed`,
      async () => (await getTask(taskB)).committedVerifiers === drawnCount,
      120_000,
    );
    await new Promise((r) => setTimeout(r, 2000)); // let the bots' own fixSeed calls land first (nonces)
    const zLocked = await staking<bigint>("lockedOf", [Z]);
    const zUnlocked = (await staking<bigint>("stakeOf", [Z])) - zLocked;
    await actor(chain.rpcUrl, d, devKey(zero)).send(
      d.contracts.NodeStaking,
      nodeStakingAbi,
      "requestUnstake",
      [zUnlocked],
    );
    assert.equal(await staking<bigint>("stakeOf", [Z]), zLocked, "no unlocked stake left");
    assert.equal(
      await staking<boolean>("isActive", [Z, 2]),
      true,
      "still an active validator (its locked bond)",
    );

    // 4. A groundless dispute: the jury (every validator without a place) commits, Z with a bond of 0.
    const balanceBefore = await req.balanceOf(Z);
    await req.send(d.contracts.TaskManager, taskManagerAbi, "dispute", [taskB]);
    const jurorCommit = await waitFor(
      `validator ${zero} commits as a juror with zero unlocked stake`,
      async () => (await logs("Committed", { taskId: taskB, node: Z }))[0],
      120_000,
    );
    assert.equal(jurorCommit.args.place, 3, "as a juror");
    const zc = await req.tm<{ bond: bigint }>("commitmentOf", [taskB, Z]);
    assert.equal(zc.bond, 0n, "its juror bond is min(bond, unlocked) = 0");
    assert.equal(await staking<bigint>("lockedOf", [Z]), zLocked, "nothing more locked");
    const jurors = validators.length - drawnCount;
    await waitFor(
      `task B's ${jurors} juror(s) committed`,
      async () => (await getTask(taskB)).committedJurors === jurors,
      120_000,
    );
    const bDisputed = await getTask(taskB);
    assert.equal(bDisputed.juryLiable, true, "the bots stored the jury seed in time");

    // 5. Task A's reveals (its window comes first), then task B's; both finalize; Z claims and withdraws.
    await travelTo(a0.commitDeadline);
    await waitFor("task A's 4 reveals", async () => (await getTask(taskA)).revealedCount === 4, 120_000);
    await travelTo(bDisputed.commitDeadline);
    const live = bDisputed.liveCommitments;
    await waitFor(
      `task B's ${live} reveals`,
      async () => (await getTask(taskB)).revealedCount === live,
      120_000,
    );
    await travelTo(bDisputed.revealDeadline);
    await waitFor("task B finalized", async () => (await getTask(taskB)).status === 5, 120_000);
    const claimed = await waitFor(
      `juror ${zero} paid (Claimed)`,
      async () => (await logs("Claimed", { taskId: taskB, node: Z }))[0],
      120_000,
    );
    assert.ok(claimed.args.amount > 0n, "the juror earned its pay and a share of the forfeited dispute bond");
    await waitFor(
      "the juror withdrew its pay",
      async () => (await req.balanceOf(Z)) - balanceBefore >= claimed.args.amount,
      120_000,
    );
  });

  /** Moves the chain's clock just past `t` (nothing when it is there already). */
  async function travelTo(t: bigint): Promise<void> {
    const now = await chainNow();
    if (now <= t) await increaseTime(chain.rpcUrl, t - now + 1n);
  }

  async function chainNow(): Promise<bigint> {
    const b = (await rpcCall(chain.rpcUrl, "eth_getBlockByNumber", ["latest", false])) as { timestamp: Hex };
    return BigInt(b.timestamp);
  }
});
