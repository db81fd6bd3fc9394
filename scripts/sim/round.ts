/**
 * One round of the simulation: a batch of tasks through one whole life on the real contracts,
 * phase by phase (create → seats by rank → drawVerifiers → verifier commits → the requesters'
 * checks and disputes → jurors → revealBatch → finalize → liquidate → claimBatch), with one
 * clock jump per phase. What nodes and requesters do comes from their strategies; what happened
 * is read back from the chain by the report.
 */
import { bytesToHex, keccak256, slice, toHex, zeroAddress, type Address, type Hex } from "viem";
import {
  commitmentOf,
  openSealedOutput,
  outputHashOf,
  sealOutput,
} from "../../workers/src/protocol/index.ts";
import type { CommitmentReport } from "../../workers/src/sdk/watchCommitments.ts";
import type { SimChain } from "./chain.ts";
import type { SimConfig } from "./config.ts";
import { wantsDispute, type RequesterKind } from "./requesters.ts";
import { keepsDraw, weightsOf } from "./reputation.ts";
import { drawOf, KIND, seatThreshold } from "./sortition.ts";
import type { Answer, Place } from "./strategies/index.ts";
import type { SimNode, SimRequester, World } from "./world.ts";

interface Commit {
  node: SimNode;
  place: Place;
  answer: Answer;
  salt: Hex;
  sealed: Hex;
}
interface OnChainTask {
  createdAt: bigint;
  seatDeadline: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  seatStep: bigint;
  seatFactor: number;
  expectedVerifiers: number;
  jurySize: number;
  computeCount: bigint;
  validatorCount: bigint;
  seatSeed: Hex;
  verifierSeed: Hex;
  jurySeed: Hex;
}
export interface SimTask {
  id: bigint;
  req: SimRequester;
  truth: string;
  collusion: string;
  createdBlock: bigint;
  t: OnChainTask;
  commits: Map<Address, Commit>;
  /** Sampled verifier places (committed or not). */
  places: Set<Address>;
  jurors: Address[];
  /** Active colluders when it was created (for the prediction). */
  colluders: number;
}

export interface RoundCtx {
  chain: SimChain;
  c: SimConfig;
  w: World;
  active: SimNode[];
  nextTask: number;
  /** Each active node's seat weight this round (reputation.ts; all 1 for today's sortition). */
  weights?: Map<Address, number>;
}

const chunks = <T>(xs: T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
/** Seeds are stored this many tasks at a time (well inside blockhash's 256 blocks). */
const SEED_CHUNK = 100;
const maxOf = (xs: bigint[]) => xs.reduce((a, x) => (x > a ? x : a), 0n);

function pickRequester(ctx: RoundCtx): SimRequester {
  const { c, w } = ctx;
  const kinds = [...new Set(w.requesters.map((r) => r.kind))];
  const total = kinds.reduce((a, k) => a + (c.requesters[k] ?? 0), 0) || 1;
  let x = w.rng() * total;
  let kind: RequesterKind = "sdk";
  for (const k of kinds) if ((x -= c.requesters[k] ?? 0) < 0) [kind, x] = [k, Infinity];
  const of = w.requesters.filter((r) => r.kind === kind);
  return of[Math.floor(w.rng() * of.length)];
}

/** A canary task is paid from the verification pool (spendPool by the owner); none when the pool is short. */
async function fundCanary(ctx: RoundCtx, r: SimRequester): Promise<boolean> {
  const pool = await ctx.chain.readTm<bigint>("verificationPool");
  if (pool < ctx.c.reward) return false;
  await ctx.chain.tm(ctx.w.owner, "spendPool", [r.addr, ctx.c.reward]);
  await ctx.chain.tm(r.addr, "withdraw", []);
  return true;
}

async function readTask(chain: SimChain, id: bigint): Promise<OnChainTask> {
  const t = await chain.readTm<Record<string, unknown>>("getTask", [id]);
  const big = (k: string) => BigInt(t[k] as bigint | number);
  return {
    createdAt: big("createdAt"),
    seatDeadline: big("seatDeadline"),
    commitDeadline: big("commitDeadline"),
    revealDeadline: big("revealDeadline"),
    seatStep: big("seatStep"),
    seatFactor: Number(t.seatFactor),
    expectedVerifiers: Number(t.expectedVerifiers),
    jurySize: Number(t.jurySize),
    computeCount: big("computeCount"),
    validatorCount: big("validatorCount"),
    seatSeed: t.seatSeed as Hex,
    verifierSeed: t.verifierSeed as Hex,
    jurySeed: t.jurySeed as Hex,
  };
}

/**
 * Stores each task's seed of `kind` two blocks after the call that asked for it, as every bot does
 * (PROTOCOL.md §8): a seed whose block is older than 256 blocks would be re-anchored. Then reads the
 * tasks back.
 */
async function fixSeeds(ctx: RoundCtx, tasks: SimTask[], kind: number): Promise<void> {
  await ctx.chain.mine(2); // a seed of block b is known from block b + 2
  for (const task of tasks) await ctx.chain.tm(ctx.w.keeper, "fixSeed", [task.id, kind]);
  for (const task of tasks) task.t = await readTask(ctx.chain, task.id);
}

async function createTasks(ctx: RoundCtx, n: number): Promise<SimTask[]> {
  const out: SimTask[] = [];
  for (let done = 0; done < n; done += SEED_CHUNK)
    out.push(...(await createChunk(ctx, Math.min(SEED_CHUNK, n - done))));
  return out;
}

async function createChunk(ctx: RoundCtx, n: number): Promise<SimTask[]> {
  const { chain, c, w } = ctx;
  const colluders = ctx.active.filter((x) => x.name === "colluder").length;
  const tasks: SimTask[] = [];
  for (let i = 0; i < n; i++) {
    let req = pickRequester(ctx);
    if (req.kind === "canary" && !(await fundCanary(ctx, req)))
      req = w.requesters.find((r) => r.kind === "sdk")!;
    const input = toHex(`sim:${c.seed}:task:${ctx.nextTask++}`);
    const request = {
      modelId: w.modelId,
      input,
      inputURI: "",
      inputHash: `0x${"00".repeat(32)}`,
      reward: c.reward,
      redundancy: c.redundancy,
      resultKey: req.key.publicKey,
      callback: zeroAddress,
      callbackGasLimit: 0,
      disputer: zeroAddress,
    };
    const block = await chain.tm(req.addr, "createTask", [request]);
    const ev = chain.events.findLast((e) => e.name === "TaskCreated")!;
    const id = ev.args.taskId as bigint;
    const truth = `answer:${keccak256(input)}`;
    const base = { id, req, truth, collusion: `collude:${id}`, createdBlock: block, colluders };
    tasks.push({ ...base, t: undefined!, commits: new Map(), places: new Set(), jurors: [] });
  }
  await fixSeeds(ctx, tasks, KIND.seat);
  return tasks;
}

/** Commits what `node`'s strategy answers in `place`; returns whether a commitment landed. */
async function commit(ctx: RoundCtx, task: SimTask, node: SimNode, place: Place): Promise<boolean> {
  const view = { id: task.id, node: node.addr, truth: task.truth, collusion: task.collusion, rng: ctx.w.rng };
  const answer = node.strategy.answer(view, place);
  if (!answer) return false;
  const salt = keccak256(toHex(`sim:${ctx.c.seed}:salt:${task.id}:${node.addr}`));
  const outputHash = outputHashOf(answer.label);
  const commitment = commitmentOf(task.id, node.addr, outputHash, salt);
  const sealed =
    answer.seal === "ok"
      ? sealOutput(task.req.key.publicKey, task.id, node.addr, salt, answer.label, {
          // The ephemeral key and nonce from the seed: the same seed gives the same calldata, blocks and draws.
          ephemeralSecretKey: keccak256(toHex(`sim:${ctx.c.seed}:esk:${task.id}:${node.addr}`)),
          nonce: slice(keccak256(toHex(`sim:${ctx.c.seed}:nonce:${task.id}:${node.addr}`)), 0, 24),
        })
      : bytesToHex(
          Uint8Array.from({ length: answer.label.length + 104 }, () => Math.floor(ctx.w.rng() * 256)),
        );
  const ok = await ctx.chain.tm(node.addr, "commit", [task.id, commitment, sealed], { mayFail: true });
  if (ok) task.commits.set(node.addr, { node, place, answer, salt, sealed });
  return ok > 0n;
}

/**
 * The k best ranks (rank, then address) among the active compute nodes that keep their draw under the
 * round's seat weights (all of them today): the seats a rational network fills.
 */
async function bestSeats(ctx: RoundCtx, task: SimTask): Promise<{ node: SimNode; rank: bigint }[]> {
  const seed = task.t.seatSeed;
  if (BigInt(seed) === 0n) throw new Error(`task ${task.id}: seat seed not stored`);
  const C = task.t.computeCount;
  const keeps = (n: SimNode) => keepsDraw(seed, n.addr, ctx.weights?.get(n.addr) ?? 1);
  const ranked = ctx.active
    .filter(keeps)
    .map((node) => ({ node, rank: drawOf(seed, node.addr, KIND.seat) % C }));
  ranked.sort((a, b) =>
    a.rank !== b.rank ? (a.rank < b.rank ? -1 : 1) : BigInt(a.node.addr) < BigInt(b.node.addr) ? -1 : 1,
  );
  return ranked.slice(0, ctx.c.redundancy);
}

/** Seats by rank: each chosen node commits at the first seat step where it is eligible. */
async function takeSeats(ctx: RoundCtx, tasks: SimTask[]): Promise<void> {
  let pending: { task: SimTask; node: SimNode; rank: bigint }[] = [];
  for (const task of tasks) for (const s of await bestSeats(ctx, task)) pending.push({ task, ...s });
  const first = pending[0];
  if (first) {
    const onChain = await ctx.chain.readTm<bigint>("rankOf", [first.task.id, first.node.addr]);
    if (onChain !== first.rank) throw new Error(`off-chain rank ${first.rank} != rankOf ${onChain}`);
  }
  while (pending.length) {
    const now = await ctx.chain.now();
    const later: typeof pending = [];
    for (const p of pending) {
      const { createdAt, seatStep, seatFactor, computeCount, seatDeadline } = p.task.t;
      if (now + 1n >= seatDeadline) continue; // the seat window closed
      const step = (now + 1n - createdAt) / seatStep;
      const open = p.rank < seatThreshold(BigInt(seatFactor), BigInt(ctx.c.redundancy), step, computeCount);
      if (open) await commit(ctx, p.task, p.node, 1);
      else later.push(p);
    }
    pending = later;
    if (pending.length) await ctx.chain.warpTo(now + pending[0].task.t.seatStep);
  }
}

/** drawVerifiers on every seated task (cancel the others), then the sampled verifiers commit. */
async function verifiers(ctx: RoundCtx, tasks: SimTask[]): Promise<SimTask[]> {
  const { chain, w } = ctx;
  await chain.warpTo(maxOf(tasks.map((t) => t.t.seatDeadline)));
  const live: SimTask[] = [];
  for (const task of tasks) {
    if (task.commits.size === 0) await chain.tm(task.req.addr, "cancel", [task.id]);
    else live.push(task);
  }
  for (const chunk of chunks(live, SEED_CHUNK)) {
    for (const task of chunk) await chain.tm(w.keeper, "drawVerifiers", [task.id]);
    await fixSeeds(ctx, chunk, KIND.verifier);
  }
  for (const task of live) {
    const seed = task.t.verifierSeed;
    const V = task.t.validatorCount;
    for (const node of ctx.active) {
      if (task.commits.has(node.addr) || V === 0n) continue;
      if (drawOf(seed, node.addr, KIND.verifier) % V >= BigInt(task.t.expectedVerifiers)) continue;
      task.places.add(node.addr);
      await commit(ctx, task, node, 2);
    }
  }
  return live;
}

/** The requester opens each sealed output and checks it against the on-chain commitment (as the SDK does). */
async function reportsOf(ctx: RoundCtx, task: SimTask): Promise<CommitmentReport[]> {
  const out: CommitmentReport[] = [];
  for (const [node, cm] of task.commits) {
    const base = { taskId: task.id, node, place: cm.place, blockNumber: 0n, transactionHash: "0x" as Hex };
    let opened;
    try {
      opened = openSealedOutput(task.req.key.privateKey, task.id, node, cm.sealed);
    } catch {
      out.push({ ...base, ok: false, problem: "DECRYPT_FAILED" });
      continue;
    }
    const outputHash = keccak256(opened.canonical);
    const onChain = await ctx.chain.readTm<{ commitment: Hex }>("commitmentOf", [task.id, node]);
    const ok = onChain.commitment === commitmentOf(task.id, node, outputHash, opened.salt);
    out.push({
      ...base,
      outputHash,
      salt: opened.salt,
      ok,
      ...(ok ? {} : { problem: "COMMITMENT_MISMATCH" }),
    });
  }
  return out;
}

/** Each requester applies its rule; disputed tasks get their jury seed stored (fixSeed) and the jurors commit. */
async function disputesAndJuries(ctx: RoundCtx, tasks: SimTask[]): Promise<void> {
  const disputed: SimTask[] = [];
  for (const chunk of chunks(tasks, SEED_CHUNK)) {
    const now: SimTask[] = [];
    for (const task of chunk) {
      const reports = await reportsOf(ctx, task);
      if (!wantsDispute(task.req.kind, reports, outputHashOf(task.truth))) continue;
      await ctx.chain.tm(task.req.addr, "dispute", [task.id]);
      now.push(task);
    }
    if (now.length) await fixSeeds(ctx, now, KIND.jury);
    disputed.push(...now);
  }
  for (const task of disputed) {
    const seed = task.t.jurySeed;
    if (BigInt(seed) === 0n) throw new Error(`task ${task.id}: jury seed not stored`);
    const V = task.t.validatorCount;
    for (const node of ctx.active) {
      if (task.commits.has(node.addr) || task.places.has(node.addr)) continue;
      if (V > BigInt(task.t.jurySize) && drawOf(seed, node.addr, KIND.jury) % V >= BigInt(task.t.jurySize))
        continue;
      task.jurors.push(node.addr);
      await commit(ctx, task, node, 3);
    }
  }
}

/** Every node that reveals does it through revealBatch (a relayer; the gas is shared among the entries). */
async function reveals(ctx: RoundCtx, tasks: SimTask[]): Promise<void> {
  await ctx.chain.warpTo(maxOf(tasks.map((t) => t.t.commitDeadline)));
  const entries: { taskId: bigint; node: Address; outputHash: Hex; salt: Hex }[] = [];
  for (const task of tasks)
    for (const [node, cm] of task.commits)
      if (cm.answer.reveal)
        entries.push({ taskId: task.id, node, outputHash: outputHashOf(cm.answer.label), salt: cm.salt });
  for (const batch of chunks(entries, 60))
    await ctx.chain.tm(ctx.w.keeper, "revealBatch", [batch], {
      gas: 15_000_000n,
      payers: batch.map((e) => e.node),
    });
}

/** finalize every task, then liquidate every node the contract says is liquidatable. */
async function settle(ctx: RoundCtx, tasks: SimTask[]): Promise<void> {
  const { chain, w } = ctx;
  await chain.warpTo(maxOf(tasks.map((t) => t.t.revealDeadline)));
  for (const task of tasks) await chain.tm(w.keeper, "finalize", [task.id]);
  for (const task of tasks) {
    const fin = chain.events.findLast((e) => e.name === "TaskFinalized" && e.args.taskId === task.id);
    const R = fin?.args.outputHash as Hex | undefined;
    const winner = [...task.commits.values()].find(
      (cm) => R !== undefined && cm.answer.reveal && outputHashOf(cm.answer.label) === R,
    );
    for (const node of new Set([...task.commits.keys(), ...task.jurors])) {
      if (!(await chain.readTm<boolean>("isLiquidatable", [task.id, node]))) continue;
      // A winner takes the bounty; failing one, the requester (a wrong reveal), else a keeper.
      const by = winner && winner.node.addr !== node ? winner.node.addr : R ? task.req.addr : w.keeper;
      await chain.tm(by, "liquidate", [task.id, node]);
    }
  }
}

/** claimBatch for every commitment (entries with nothing to claim are skipped by the contract). */
async function claims(ctx: RoundCtx, tasks: SimTask[]): Promise<void> {
  const pairs: [bigint, Address][] = [];
  for (const task of tasks) for (const node of task.commits.keys()) pairs.push([task.id, node]);
  for (const batch of chunks(pairs, 80))
    await ctx.chain.tm(ctx.w.keeper, "claimBatch", [batch.map((p) => p[0]), batch.map((p) => p[1])], {
      gas: 15_000_000n,
      payers: batch.map((p) => p[1]),
    });
}

/** Nodes still active (a node slashed below minStake is out for the unbonding period). */
async function activeNodes(ctx: RoundCtx): Promise<SimNode[]> {
  const out: SimNode[] = [];
  for (const n of ctx.w.nodes) if (await ctx.chain.readStaking<boolean>("isActive", [n.addr, 0])) out.push(n);
  return out;
}

/** One round of `n` tasks; returns them. */
export async function runRound(ctx: RoundCtx, n: number): Promise<SimTask[]> {
  ctx.active = await activeNodes(ctx);
  const addrs = ctx.active.map((n) => n.addr);
  ctx.weights = await weightsOf(ctx.chain, ctx.c.seatWeight, addrs);
  const tasks = await createTasks(ctx, n);
  await takeSeats(ctx, tasks);
  const live = await verifiers(ctx, tasks);
  await disputesAndJuries(ctx, live);
  await reveals(ctx, live);
  await settle(ctx, live);
  await claims(ctx, live);
  return tasks;
}
