/**
 * One whole task lifecycle on ganache 7.9 (shanghai), a second EVM client independent of
 * Hardhat's EDR (issue 7): the contracts compiled for shanghai (test/support/shanghai.ts) and
 * deployed by the Ignition module through the devnet harness (the TaskManager's libraries
 * linked), and every step over JSON-RPC with viem and the real §7 encodings (derived salts, sealed outputs opened by the requester, EIP-712 signed commits).
 *
 * Six nodes (COMPUTE + VALIDATOR) stake; the three best-ranked take the seats (commit, commit,
 * commitWithSig), the other three are sampled verifiers (two through commitBatch, one commits
 * and stays silent). Reveals by the nodes and, for two of them, by the requester from the
 * opened sealed outputs; finalize; the silent verifier is liquidated by a winner; everyone
 * claims and withdraws; the result is delivered, with the task's callback pointing at an
 * ExampleConsumer that did not open the task and refuses it (audit M-2). Balances, credits,
 * bonds and statuses are checked against the §6 arithmetic at every step.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodeAbiParameters,
  encodeAbiParameters,
  encodeErrorResult,
  hexToBigInt,
  keccak256,
  maxUint256,
  parseEther,
  parseEventLogs,
  toHex,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  commitmentOf,
  deriveSalt,
  generateResultKey,
  openSealedOutput,
  outputHashOf,
  saltDigest,
  sealOutput,
  signCommit,
  type SignedCommit,
} from "../../workers/src/protocol/index.ts";
import { devKey } from "../support/devnet.ts";
import {
  deployShanghai,
  read,
  send,
  startGanache,
  type GanacheChain,
  type GanacheDeployment,
} from "./ganache.ts";

const OWNER = 0;
const NODES = [1, 2, 3, 4, 5, 6];
const REQUESTER = 7;
const MODEL_OWNER = 8;
const RELAYER = 9;
const STAKE = parseEther("20000");
// A reward whose split leaves a remainder (credited to the requester at finalize).
const REWARD = parseEther("100") + 2n;
const ROYALTY_BPS = 500n;
const FEE_BPS = 2000n;
const BPS = 10_000n;
const REDUNDANCY = 3;
const CANONICAL = '{"outputs":[{"name":"y","dims":[1],"data":[3]}]}';
const INPUT = '{"inputs":{"x":{"type":"float32","dims":[1,2],"data":[0.5,-1]}}}';
const FINALIZED = 5;
const SEATING = 1;

const addr = (i: number): Address => privateKeyToAccount(devKey(i)).address;

interface TaskView {
  createdAt: bigint;
  seatDeadline: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  computeCount: bigint;
  validatorCount: bigint;
  seatSeed: Hex;
  bond: bigint;
  workerShare: bigint;
  status: number;
  n: number;
  m: number;
  acceptedOutputHash: Hex;
  delivered: boolean;
}

describe("ganache (shanghai): one task's whole lifecycle over JSON-RPC", () => {
  let g: GanacheChain;
  let d: GanacheDeployment;
  const tmRead = <T>(fn: string, args: readonly unknown[] = []): Promise<T> =>
    read<T>(g, d.tm, d.abi.tm, fn, args);
  const balanceOf = (a: Address) => read<bigint>(g, d.token, d.abi.token, "balanceOf", [a]);
  const now = async () => (await g.pub.getBlock()).timestamp;
  const mine = async () => {
    await g.rpc("evm_mine", []);
  };
  const travelTo = async (t: bigint) => {
    const n = await now();
    if (t > n) await g.rpc("evm_increaseTime", [Number(t - n)]);
    await mine();
    assert.ok((await now()) >= t, "evm_increaseTime + evm_mine moved the clock");
  };

  before(async () => {
    g = await startGanache({ accounts: 12 });
    d = await deployShanghai(g, OWNER);
  });

  after(async () => {
    await g?.stop();
  });

  it("deploys the shanghai build: every contract within EIP-170, the three libraries linked", async () => {
    for (const name of [
      "OmniToken",
      "NodeStaking",
      "ModelRegistry",
      "TaskManager",
      "TaskLifecycle",
      "TaskCommits",
      "TaskSettlement",
    ]) {
      const c = d.build.contracts[name];
      assert.ok(c, `${name} compiled`);
      assert.ok((c.deployedBytecode.length - 2) / 2 <= 24_576, `${name} fits EIP-170`);
    }
    for (const [name, a] of Object.entries(d.libraries)) {
      const code = await g.pub.getCode({ address: a });
      assert.ok(code && code.length > 2, `library ${name} deployed`);
    }
    assert.equal(Object.keys(d.libraries).sort().join(","), "TaskCommits,TaskLifecycle,TaskSettlement");
    assert.equal(await tmRead<Address>("staking"), d.staking);
    assert.ok(d.buildMs < 180_000, `shanghai build took ${d.buildMs} ms`);
  });

  it("agrees with the off-chain EIP-712 domain (chainid opcode = eth_chainId)", async () => {
    const domain =
      await tmRead<readonly [Hex, string, string, bigint, Address, Hex, readonly bigint[]]>("eip712Domain");
    assert.equal(domain[1], "OmniTensor TaskManager");
    assert.equal(domain[2], "1");
    assert.equal(domain[3], BigInt(g.chainId), "the CHAINID opcode and eth_chainId agree");
    assert.equal(domain[4], d.tm);
    const onChain = await tmRead<Hex>("saltDigest", [7n]);
    assert.equal(onChain, saltDigest({ chainId: g.chainId, verifyingContract: d.tm }, 7n));
  });

  it("stakes, registers, creates, seats, verifies, reveals, finalizes, liquidates, claims, withdraws and delivers", async () => {
    const domain = { chainId: g.chainId, verifyingContract: d.tm };
    const key = generateResultKey();
    const owner = addr(OWNER);

    // ---- parameters, model, stakes
    await send(g, OWNER, d.tm, d.abi.tm, "setExpectedVerifiers", [64n]); // every validator without a seat has a place
    const spec =
      '{"inputs":[{"name":"x","type":"float32","dims":[1,2]}],"outputs":[{"name":"y","rule":{"op":"argmax"}}]}';
    const onnx = keccak256(toHex("ganache model"));
    await send(g, MODEL_OWNER, d.registry, d.abi.registry, "registerModel", [
      onnx,
      "ipfs://m",
      spec,
      Number(ROYALTY_BPS),
    ]);
    const modelId = await read<Hex>(g, d.registry, d.abi.registry, "modelIdOf", [
      addr(MODEL_OWNER),
      onnx,
      spec,
    ]);
    assert.equal(await read<boolean>(g, d.registry, d.abi.registry, "exists", [modelId]), true);
    for (const n of NODES) {
      await send(g, OWNER, d.token, d.abi.token, "transfer", [addr(n), STAKE]);
      await send(g, n, d.token, d.abi.token, "approve", [d.staking, STAKE]);
      await send(g, n, d.staking, d.abi.staking, "stake", [STAKE, 3, `ganache-node-${n}`]);
      assert.equal(await read<bigint>(g, d.staking, d.abi.staking, "stakeOf", [addr(n)]), STAKE);
    }
    assert.equal(await read<bigint>(g, d.staking, d.abi.staking, "activeComputeCount"), BigInt(NODES.length));
    assert.equal(
      await read<bigint>(g, d.staking, d.abi.staking, "activeValidatorCount"),
      BigInt(NODES.length),
    );
    await send(g, OWNER, d.token, d.abi.token, "transfer", [addr(REQUESTER), parseEther("1000")]);
    await send(g, REQUESTER, d.token, d.abi.token, "approve", [d.tm, maxUint256]);
    // ganache stamps blocks with the wall clock (second resolution): move on so that activeSince < createdAt.
    await travelTo((await now()) + 60n);

    // ---- createTask
    const requesterBefore = await balanceOf(addr(REQUESTER));
    const input = toHex(new TextEncoder().encode(INPUT));
    const created = await send(g, REQUESTER, d.tm, d.abi.tm, "createTask", [
      {
        modelId,
        input,
        inputURI: "",
        inputHash: keccak256(input),
        reward: REWARD,
        redundancy: REDUNDANCY,
        resultKey: key.publicKey,
        callback: d.consumer,
        callbackGasLimit: 200_000,
        disputer: zeroAddress,
      },
    ]);
    const taskId = await tmRead<bigint>("taskCount");
    assert.equal(taskId, 1n);
    assert.equal(await balanceOf(addr(REQUESTER)), requesterBefore - REWARD, "the reward moved into escrow");
    assert.equal(await balanceOf(d.tm), REWARD);
    let t = await tmRead<TaskView>("getTask", [taskId]);
    assert.equal(t.status, SEATING);
    assert.equal(t.computeCount, BigInt(NODES.length));
    assert.equal(t.validatorCount, BigInt(NODES.length));

    // ---- seeds: unknown until block b + 2, then keccak256(abi.encode(blockhash(b + 1), taskId, 1))
    const b = created.blockNumber;
    assert.equal(await g.pub.getBlockNumber(), b);
    assert.equal(await tmRead<bigint>("rankOf", [taskId, addr(1)]), maxUint256, "no rank before block b + 2");
    const [seatNow] = await tmRead<readonly [boolean, boolean, boolean]>("isEligible", [taskId, addr(1)]);
    assert.equal(seatNow, false, "nobody is eligible before the seed is known");
    await mine(); // b + 1: its hash is the seed's source
    await mine(); // b + 2: the seed is known (whether eth_call runs in the latest or a pending block)
    const b1 = await g.pub.getBlock({ blockNumber: b + 1n });
    const seed = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "uint256" }, { type: "uint8" }],
        [b1.hash, taskId, 1],
      ),
    );
    const rankOf = (node: Address) =>
      hexToBigInt(
        keccak256(
          encodeAbiParameters([{ type: "bytes32" }, { type: "address" }, { type: "uint8" }], [seed, node, 1]),
        ),
      ) % BigInt(NODES.length);
    const ranked: { n: number; rank: bigint }[] = [];
    for (const n of NODES) {
      const rank: bigint = await tmRead<bigint>("rankOf", [taskId, addr(n)]);
      assert.equal(
        rank,
        rankOf(addr(n)),
        `ganache's BLOCKHASH(b + 1) gives node ${n} the rank computed from its RPC block hash`,
      );
      ranked.push({ n, rank });
    }
    ranked.sort((x, y) =>
      x.rank !== y.rank
        ? x.rank < y.rank
          ? -1
          : 1
        : addr(x.n).toLowerCase() < addr(y.n).toLowerCase()
          ? -1
          : 1,
    );
    const seats = ranked.slice(0, REDUNDANCY).map((r) => r.n);
    const verifiers = ranked.slice(REDUNDANCY).map((r) => r.n);

    // ---- the node side: run the "model" (the canonical output), derive salts, seal to the resultKey
    const outputHash = outputHashOf(CANONICAL);
    const prepared = new Map<number, { salt: Hex; commitment: Hex; sealed: Hex }>();
    for (const n of NODES) {
      const salt = await deriveSalt(devKey(n), domain, taskId);
      prepared.set(n, {
        salt,
        commitment: commitmentOf(taskId, addr(n), outputHash, salt),
        sealed: sealOutput(key.publicKey, taskId, addr(n), salt, CANONICAL),
      });
    }
    const p = (n: number) => prepared.get(n)!;

    // ---- seats (≤ 5 h): commit, commit, commitWithSig (relayed)
    for (const n of seats) {
      const elig: readonly [boolean, boolean, boolean] = await tmRead("isEligible", [taskId, addr(n)]);
      const seat = elig[0];
      assert.equal(seat, true, `node ${n} may take a seat`);
    }
    await send(g, seats[0], d.tm, d.abi.tm, "commit", [taskId, p(seats[0]).commitment, p(seats[0]).sealed]);
    await send(g, seats[1], d.tm, d.abi.tm, "commit", [taskId, p(seats[1]).commitment, p(seats[1]).sealed]);
    const sig = await signCommit({
      account: devKey(seats[2]),
      domain,
      taskId,
      place: 1,
      commitment: p(seats[2]).commitment,
      sealedOutput: p(seats[2]).sealed,
      deadline: (await now()) + 3600n,
    });
    await send(g, RELAYER, d.tm, d.abi.tm, "commitWithSig", [sig]);
    t = await tmRead<TaskView>("getTask", [taskId]);
    assert.notEqual(t.seatSeed, `0x${"00".repeat(32)}`, "the first commit stored the seat seed");
    assert.equal(t.seatSeed, seed, "the stored seed is the one computed from blockhash(b + 1)");
    const w = t.workerShare;
    const bond = t.bond;
    for (const n of seats)
      assert.equal(await read<bigint>(g, d.staking, d.abi.staking, "lockedOf", [addr(n)]), bond);

    // ---- drawVerifiers (after the seat window), then verifier commits: a batch of two, one lone commit
    await travelTo(t.seatDeadline);
    const drawn = await send(g, RELAYER, d.tm, d.abi.tm, "drawVerifiers", [taskId]);
    while ((await g.pub.getBlockNumber()) < drawn.blockNumber + 2n) await mine();
    for (const n of verifiers) {
      const elig: readonly [boolean, boolean, boolean] = await tmRead("isEligible", [taskId, addr(n)]);
      const verifier = elig[1];
      assert.equal(verifier, true, `node ${n} has a verifier place`);
    }
    const batch: SignedCommit[] = [];
    for (const n of verifiers.slice(0, 2)) {
      batch.push(
        await signCommit({
          account: devKey(n),
          domain,
          taskId,
          place: 2,
          commitment: p(n).commitment,
          sealedOutput: p(n).sealed,
          deadline: (await now()) + 3600n,
        }),
      );
    }
    const batchReceipt = await send(g, RELAYER, d.tm, d.abi.tm, "commitBatch", [batch]);
    const skippedTopic = keccak256(toHex("CommitSkipped(uint256,address,bytes)"));
    assert.equal(
      batchReceipt.logs.filter((l) => l.topics[0] === skippedTopic).length,
      0,
      "no batch entry skipped",
    );
    const silent = verifiers[2];
    await send(g, silent, d.tm, d.abi.tm, "commit", [taskId, p(silent).commitment, p(silent).sealed]);

    // ---- the requester opens every sealed output from the Committed events and checks each commitment
    const committedTopic = keccak256(toHex("Committed(uint256,address,uint8,bytes)"));
    const logs = await g.pub.getLogs({ address: d.tm, fromBlock: b, toBlock: "latest" });
    const committed = logs.filter((l) => l.topics[0] === committedTopic);
    assert.equal(committed.length, NODES.length, "six Committed events");
    const opened = new Map<Address, Hex>();
    for (const l of committed) {
      const node = `0x${l.topics[2]!.slice(26)}` as Address;
      const [, sealedOut] = decodeCommitted(l.data);
      const o = openSealedOutput(key.privateKey, taskId, node, sealedOut);
      assert.equal(new TextDecoder().decode(o.canonical), CANONICAL);
      const c: { commitment: Hex } = await tmRead("commitmentOf", [taskId, node]);
      assert.equal(
        commitmentOf(taskId, node, outputHashOf(o.canonical), o.salt),
        c.commitment,
        "sealed output matches its commitment",
      );
      opened.set(node.toLowerCase() as Address, o.salt);
    }

    // ---- reveals (createdAt + commitWindow ≤ now < revealDeadline): four by the nodes... two by the requester
    await travelTo(t.commitDeadline);
    await send(g, seats[0], d.tm, d.abi.tm, "reveal", [taskId, addr(seats[0]), outputHash, p(seats[0]).salt]);
    await send(g, seats[1], d.tm, d.abi.tm, "reveal", [taskId, addr(seats[1]), outputHash, p(seats[1]).salt]);
    await send(g, verifiers[0], d.tm, d.abi.tm, "reveal", [
      taskId,
      addr(verifiers[0]),
      outputHash,
      p(verifiers[0]).salt,
    ]);
    for (const n of [seats[2], verifiers[1]]) {
      const salt = opened.get(addr(n).toLowerCase() as Address)!;
      await send(g, REQUESTER, d.tm, d.abi.tm, "reveal", [taskId, addr(n), outputHash, salt]);
    }
    const tally = await tmRead<{ votes: number; verifierVotes: number; seatVotes: number }>("tallyOf", [
      taskId,
      outputHash,
    ]);
    assert.deepEqual([tally.votes, tally.verifierVotes, tally.seatVotes], [5, 2, 3]);

    // ---- finalize (≥ revealDeadline)
    await travelTo(t.revealDeadline);
    await send(g, RELAYER, d.tm, d.abi.tm, "finalize", [taskId]);
    t = await tmRead<TaskView>("getTask", [taskId]);
    assert.equal(t.status, FINALIZED);
    assert.equal(t.acceptedOutputHash, outputHash);
    assert.equal(t.n, 5);
    assert.equal(t.m, 0);
    const royalty = (REWARD * ROYALTY_BPS) / BPS;
    const fee = (REWARD * FEE_BPS) / BPS;
    const rest = REWARD - royalty - fee;
    assert.equal(w, rest / BigInt(REDUNDANCY));
    const rem = rest % BigInt(REDUNDANCY);
    assert.ok(rem > 0n, "the reward was chosen to leave a remainder");
    const pay = fee / 2n < w ? fee / 2n : w;
    assert.equal(await tmRead<bigint>("creditOf", [addr(MODEL_OWNER)]), royalty);
    assert.equal(
      await tmRead<bigint>("creditOf", [addr(REQUESTER)]),
      rem,
      "all three seats revealed R: only the remainder",
    );
    assert.equal(await tmRead<bigint>("verificationPool"), fee - 2n * pay);

    // ---- liquidate the silent verifier (by a seat that revealed R: the bounty is its)
    const silentStake = await read<bigint>(g, d.staking, d.abi.staking, "stakeOf", [addr(silent)]);
    assert.equal(await tmRead<boolean>("isLiquidatable", [taskId, addr(silent)]), true);
    const tmBefore = await balanceOf(d.tm);
    await send(g, seats[0], d.tm, d.abi.tm, "liquidate", [taskId, addr(silent)]);
    // slashBps = 10,000 in a Finalized task: its bond plus all of its unlocked stake.
    const slashed = silentStake;
    assert.equal(await read<bigint>(g, d.staking, d.abi.staking, "stakeOf", [addr(silent)]), 0n);
    assert.equal(
      await balanceOf(d.tm),
      tmBefore + slashed,
      "NodeStaking sent the slashed amount to the TaskManager",
    );
    const bounty = (slashed * 500n) / BPS;
    const perWinner = (slashed - bounty) / 5n;
    assert.equal(await tmRead<bigint>("creditOf", [addr(seats[0])]), bounty);

    // ---- claims: seats get w + perWinner, verifiers verifierPay + perWinner; bonds are released
    const expected = new Map<number, bigint>();
    for (const n of seats) expected.set(n, w + perWinner + (n === seats[0] ? bounty : 0n));
    for (const n of verifiers.slice(0, 2)) expected.set(n, pay + perWinner);
    for (const [n, amount] of expected) {
      await send(g, n, d.tm, d.abi.tm, "claim", [taskId]);
      assert.equal(await tmRead<bigint>("creditOf", [addr(n)]), amount, `node ${n}'s credit after its claim`);
      assert.equal(
        await read<bigint>(g, d.staking, d.abi.staking, "lockedOf", [addr(n)]),
        0n,
        `node ${n}'s bond released`,
      );
    }

    // ---- withdraw: every credit leaves as OMNIT
    for (const [n, amount] of expected) {
      const before = await balanceOf(addr(n));
      await send(g, n, d.tm, d.abi.tm, "withdraw", []);
      assert.equal(await balanceOf(addr(n)), before + amount);
      assert.equal(await tmRead<bigint>("creditOf", [addr(n)]), 0n);
    }
    for (const who of [MODEL_OWNER, REQUESTER]) await send(g, who, d.tm, d.abi.tm, "withdraw", []);
    assert.equal(await balanceOf(addr(MODEL_OWNER)), royalty);
    const pool = await tmRead<bigint>("verificationPool");
    const dust = (slashed - bounty) % 5n; // the accumulator's remainder, kept for later liquidations
    assert.equal(
      await balanceOf(d.tm),
      pool + dust,
      "the TaskManager holds the pool and the split's remainder only",
    );

    // ---- deliver (exactly callbackGasLimit gas; an explicit tx gas limit on ganache). The callback is an
    // ExampleConsumer that did not open this task (the requester did): it refuses a result it never asked
    // for (audit M-2), the TaskManager emits CallbackFailed with its revert data, and the task is delivered.
    const output = toHex(new TextEncoder().encode(CANONICAL));
    const delivered = await send(g, RELAYER, d.tm, d.abi.tm, "deliver", [taskId, output], 1_000_000n);
    t = await tmRead<TaskView>("getTask", [taskId]);
    assert.equal(t.delivered, true);
    const failed = parseEventLogs({ abi: d.abi.tm, logs: delivered.logs, eventName: "CallbackFailed" });
    assert.equal(failed.length, 1, "CallbackFailed");
    assert.deepEqual(failed[0].args, {
      taskId,
      reason: encodeErrorResult({
        abi: d.abi.consumer,
        errorName: "ExampleConsumerUnknownTask",
        args: [taskId],
      }),
    });
    assert.equal(await read<bigint>(g, d.consumer, d.abi.consumer, "resultCount"), 0n);
    assert.equal(await read<bigint>(g, d.consumer, d.abi.consumer, "lastTaskId"), 0n);
    assert.equal(owner, await tmRead<Address>("owner"));
  });
});

/** Decodes Committed's non-indexed data: (uint8 place, bytes sealedOutput). */
function decodeCommitted(data: Hex): readonly [number, Hex] {
  return decodeAbiParameters([{ type: "uint8" }, { type: "bytes" }], data);
}
