/**
 * The job handlers of the compute and verifier roles (PROTOCOL.md §4, §8). Each handler reads
 * the chain first and does nothing when its step is already done, so every job is idempotent.
 */
import { UnrecoverableError } from "bullmq";
import { keccak256, maxUint256, toBytes, toHex, type Address, type Hex } from "viem";
import type { Logger } from "pino";
import { performance } from "node:perf_hooks";
import {
  Status,
  TM,
  loadTaskRecord,
  readCommitment,
  readEligibility,
  readRank,
  readTask,
  type BotContext,
  type TaskRecord,
  type TaskView,
} from "../context.ts";
import { RescheduleError, type Handler } from "../queues.ts";
import type { Place, Step, TaskJobData } from "../jobs.ts";
import { TxRevertError } from "../../chain/errors.ts";
import { commitmentOf, deriveSalt, sealOutput } from "../../protocol/index.ts";
import { toLocalAccount } from "../../protocol/index.ts";

const PLACE_NAME: Record<Place, string> = { 1: "seat", 2: "verifier", 3: "juror" };
/** Errors after which the step can never succeed for this node. */
const FINAL_COMMIT_ERRORS = new Set([
  "TaskManagerCommitClosed",
  "TaskManagerSeatTaken",
  "TaskManagerNotOpen",
  "TaskManagerTooLate",
  "TaskManagerUnknownTask",
]);

/** The canonical output this node computed for a task (kept in Redis; recomputed if lost). */
interface Output {
  canonical: string;
  outputHash: Hex;
}

function domainOf(ctx: BotContext) {
  return { chainId: ctx.deployment.chainId, verifyingContract: ctx.deployment.contracts.TaskManager };
}

async function salt(ctx: BotContext, taskId: bigint): Promise<Hex> {
  return deriveSalt(toLocalAccount(ctx.common.config.privateKey), domainOf(ctx), taskId);
}

async function inputBytes(rec: TaskRecord, log: Logger): Promise<Uint8Array | undefined> {
  if (rec.input && rec.input !== "0x") return toBytes(rec.input);
  if (!rec.inputURI) return undefined;
  try {
    const res = await fetch(rec.inputURI, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (keccak256(bytes) !== rec.inputHash.toLowerCase()) {
      log.warn({ uri: rec.inputURI }, "input fetched from inputURI does not match inputHash; skipped");
      return undefined;
    }
    return bytes;
  } catch (e) {
    log.warn({ uri: rec.inputURI, err: (e as Error).message }, "cannot fetch the input; skipped");
    return undefined;
  }
}

/**
 * Runs the model on the task's input (or returns the cached result). Undefined means "skip the
 * task" (model not served, input unavailable, a margin in the skip band, a resource failure).
 * With the TEST-ONLY cheat setting the result is replaced by a deterministic wrong one.
 */
async function computeOutput(
  ctx: BotContext,
  rec: TaskRecord,
  log: Logger,
  useCache = true,
): Promise<Output | undefined> {
  const key = ctx.key(`result:${rec.taskId}`);
  if (useCache) {
    const cached = await ctx.redis.get(key);
    if (cached) return JSON.parse(cached) as Output;
  }
  const model = ctx.models.get(rec.modelId);
  if (!model) {
    log.info({ modelId: rec.modelId }, "model not served; skipped");
    ctx.common.metrics.skipped.inc({ reason: "model" });
    return undefined;
  }
  const input = await inputBytes(rec, log);
  if (!input) {
    ctx.common.metrics.skipped.inc({ reason: "input" });
    return undefined;
  }
  const t0 = performance.now();
  let r;
  try {
    r = await model.infer(input);
  } catch (e) {
    log.warn({ err: (e as Error).message }, "inference failed (resource or profile); skipped");
    ctx.common.metrics.skipped.inc({ reason: "inference" });
    return undefined;
  }
  ctx.common.metrics.inferenceSeconds.observe(
    { model: rec.modelId.slice(0, 10) },
    (performance.now() - t0) / 1000,
  );
  if (r.skip) {
    log.info({ margin: r.margin }, "result too close to a decision boundary (skip band); skipped");
    ctx.common.metrics.skipped.inc({ reason: "margin" });
    return undefined;
  }
  let out: Output = { canonical: r.canonical, outputHash: r.outputHash };
  if (ctx.common.config.cheat.wrongResult) {
    // TEST-ONLY: a deterministic wrong answer, so that a restarted cheater reveals what it committed.
    const canonical = `{"outputs":[{"name":"cheat","dims":[1],"data":[${Number(BigInt(rec.taskId) % 1000n)}]}]}`;
    out = { canonical, outputHash: keccak256(toBytes(canonical)) };
    log.warn("TEST-ONLY cheat setting: committing a wrong result");
  }
  await ctx.redis.set(key, JSON.stringify(out), "EX", 14 * 86_400);
  return out;
}

async function record(ctx: BotContext, taskId: bigint): Promise<TaskRecord> {
  const rec = await loadTaskRecord(ctx, taskId);
  if (!rec) throw new Error(`task ${taskId}: TaskCreated not seen yet (the watcher will rebuild it)`);
  return rec;
}

function isFinal(s: number): boolean {
  return s === Status.Finalized || s === Status.Unresolved || s === Status.Cancelled;
}

/** Chain time at which the seat eligibility threshold next doubles. */
function nextSeatStep(t: TaskView, now: bigint): bigint {
  const step = t.seatStep > 0n ? t.seatStep : 1n;
  const s = now > t.createdAt ? (now - t.createdAt) / step : 0n;
  return t.createdAt + (s + 1n) * step;
}

/** A seed is "pending" while fewer than 2 blocks followed the block that asked for it. */
async function seedPending(ctx: BotContext, seed: Hex, seedBlock: bigint): Promise<boolean> {
  if (seedBlock === 0n || BigInt(seed) !== 0n) return false;
  // The watcher's head is usually fresh; ask the node only when it says "pending".
  if (ctx.headNumber() >= seedBlock + 2n) return false;
  return (await ctx.clients.publicClient.getBlockNumber()) < seedBlock + 2n;
}

/**
 * How many known compute nodes outrank this node (rank, then address). Fewer than `redundancy`
 * means a seat is certain once eligible; the model is run only when the rank gives a real chance.
 */
async function betterRanked(ctx: BotContext, taskId: bigint, myRank: bigint): Promise<number> {
  const nodes = (await ctx.redis.smembers(ctx.key("nodes"))).filter((n) => n !== ctx.me.toLowerCase());
  const ranks = await Promise.all(nodes.map((n) => readRank(ctx, taskId, n as Address)));
  let better = 0;
  nodes.forEach((n, i) => {
    const r = ranks[i];
    if (r !== maxUint256 && (r < myRank || (r === myRank && n < ctx.me.toLowerCase()))) better++;
  });
  return better;
}

export function createHandlers(ctx: BotContext): Record<Step, Handler> {
  const me = ctx.me;
  const tmAddr = ctx.deployment.contracts.TaskManager;
  // getTask read by infer is reused by the commit that follows it (no second round trip).
  const taskCache = new Map<string, { at: number; t: TaskView }>();
  const cachedTask = async (taskId: bigint, maxAgeMs: number): Promise<TaskView> => {
    const c = taskCache.get(taskId.toString());
    if (c && Date.now() - c.at < maxAgeMs) return c.t;
    const t = await readTask(ctx, taskId);
    taskCache.set(taskId.toString(), { at: Date.now(), t });
    if (taskCache.size > 1000) taskCache.delete(taskCache.keys().next().value!);
    return t;
  };
  const send = (
    functionName: string,
    args: readonly unknown[],
    log: Logger,
    expectedReward?: bigint,
    onSent?: () => void,
  ) =>
    ctx.submitter.send({ address: tmAddr, abi: TM, functionName, args, logger: log, expectedReward, onSent });

  /** infer: decide whether this node has a real chance of a place, then run the model. */
  const infer: Handler = async (data, { log }) => {
    const taskId = BigInt(data.taskId);
    const place = (data.place ?? 1) as Place;
    const [t, myRank] = await Promise.all([
      cachedTask(taskId, 0),
      place === 1 ? readRank(ctx, taskId, me) : Promise.resolve(0n),
    ]);
    if (t.status === Status.None || isFinal(t.status)) return;
    const now = ctx.chainNow();
    if (place === 1) {
      if (now >= t.seatDeadline) return;
      if (await seedPending(ctx, t.seatSeed, t.seatSeedBlock)) {
        data.seedWaitFrom ??= Date.now();
        throw new RescheduleError(now + 1n, "seat seed not known yet", ctx.common.config.pollIntervalMs);
      }
      const rank = myRank === maxUint256 ? await readRank(ctx, taskId, me) : myRank;
      if (rank === maxUint256) {
        log.info("not a compute node of this task's snapshot; skipped");
        ctx.common.metrics.skipped.inc({ reason: "not-eligible" });
        return;
      }
      const better = await betterRanked(ctx, taskId, rank);
      const full = t.seatHolders.length >= t.redundancy;
      if (better >= t.redundancy) {
        // A real chance only if better-ranked nodes stay away: look again halfway through the window.
        const half = t.createdAt + (t.seatDeadline - t.createdAt) / 2n;
        if (now < half)
          throw new RescheduleError(half, `${better} better-ranked nodes; re-check at half window`);
        if (full) {
          log.info({ better }, "rank gives no real chance of a seat; skipped (no model run)");
          ctx.common.metrics.lost.inc({ reason: "rank" });
          return;
        }
      }
    } else {
      const el = await readEligibility(ctx, taskId, me);
      const ok = place === 2 ? el.verifier : el.juror;
      if (!ok) {
        const [seed, block] =
          place === 2 ? [t.verifierSeed, t.verifierSeedBlock] : [t.jurySeed, t.jurySeedBlock];
        if (await seedPending(ctx, seed, block))
          throw new RescheduleError(now + 1n, "draw seed not known yet", ctx.common.config.pollIntervalMs);
        log.debug({ place: PLACE_NAME[place] }, "not drawn");
        return;
      }
    }
    const rec = await record(ctx, taskId);
    const t0 = performance.now();
    const out = await computeOutput(ctx, rec, log);
    if (!out) return;
    const inferMs = performance.now() - t0;
    const seedWaitMs = data.seedWaitFrom ? Date.now() - data.seedWaitFrom - inferMs : 0;
    await ctx.queues.add(
      "commit",
      { taskId: data.taskId, place, seenAt: data.seenAt, inferMs, seedWaitMs },
      { suffix: PLACE_NAME[place] },
    );
  };

  const draw = async (taskId: bigint, log: Logger) => {
    const t = await readTask(ctx, taskId);
    if (
      isFinal(t.status) ||
      t.seatHolders.length === 0 ||
      BigInt(t.verifierSeed) !== 0n ||
      t.verifierSeedBlock !== 0n
    )
      return;
    const now = ctx.chainNow();
    if (now < t.seatDeadline)
      throw new RescheduleError(t.seatDeadline, "drawVerifiers opens at the seat deadline");
    if (now >= t.verifyDeadline) return;
    try {
      await send("drawVerifiers", [taskId], log);
    } catch (e) {
      if (
        e instanceof TxRevertError &&
        e.errorName &&
        /AlreadyDrawn|NoSeatCommitted|TooLate|NotOpen|TooEarly/.test(e.errorName)
      ) {
        if (e.errorName.includes("TooEarly")) throw new RescheduleError(t.seatDeadline, "too early");
        return;
      }
      throw e;
    }
  };

  /** commit: once eligible, seal the result to the requester and commit. */
  const commit: Handler = async (data, { log }) => {
    const taskId = BigInt(data.taskId);
    if (data.commitAction === "draw") return draw(taskId, log);
    const place = (data.place ?? 1) as Place;
    const T0 = performance.now();
    const queuedMs = data.seenAt ? Date.now() - data.seenAt : undefined;
    const t = await cachedTask(taskId, 2000);
    if (t.status === Status.None || isFinal(t.status)) return;
    const now = ctx.chainNow();
    if (place !== 1) {
      // Seats skip these reads: the simulation in send() refuses an ineligible or repeated commit.
      const mine = await readCommitment(ctx, taskId, me);
      if (BigInt(mine.commitment) !== 0n) return; // done already
      const el = await readEligibility(ctx, taskId, me);
      if (!(place === 2 ? el.verifier : el.juror)) {
        log.info({ place: PLACE_NAME[place] }, "no longer eligible; not committing");
        return;
      }
    }
    const rec = await record(ctx, taskId);
    const out = await computeOutput(ctx, rec, log);
    if (!out) return;
    const s = await salt(ctx, taskId);
    const commitment = commitmentOf(taskId, me, out.outputHash, s);
    const sealed = sealOutput(rec.resultKey, taskId, me, s, out.canonical);
    let latencyMs: number | undefined;
    let timing: Record<string, number | undefined> = {};
    try {
      // TaskCreated seen → commit sent, the model run excluded.
      const T1 = performance.now();
      const observe = () => {
        timing = { queuedMs, prepMs: Math.round(T1 - T0), sendMs: Math.round(performance.now() - T1) };
        if (!data.seenAt) return;
        latencyMs = Math.max(0, Date.now() - data.seenAt - (data.inferMs ?? 0) - (data.seedWaitMs ?? 0));
        ctx.common.metrics.createdToCommitSeconds.observe(latencyMs / 1000);
      };
      await send(
        "commit",
        [taskId, commitment, sealed],
        log,
        place === 1 ? t.workerShare : undefined,
        observe,
      );
    } catch (e) {
      if (e instanceof TxRevertError && e.errorName) {
        if (e.errorName === "TaskManagerAlreadyCommitted") return; // done already (a rerun after a restart)
        if (e.errorName === "TaskManagerNotEligible" && place === 1 && now < t.seatDeadline)
          throw new RescheduleError(nextSeatStep(t, now), "not eligible (race)");
        if (FINAL_COMMIT_ERRORS.has(e.errorName) || e.errorName === "TaskManagerNotEligible") {
          log.info({ reason: e.errorName }, "commit refused; this node stops trying (no more gas spent)");
          ctx.common.metrics.lost.inc({ reason: e.errorName });
          return;
        }
        if (e.errorName === "TaskManagerBondUnavailable") {
          log.error("stake too small for this task's bond; top up the stake");
          throw new UnrecoverableError(e.message);
        }
      }
      throw e;
    }
    ctx.common.metrics.committed.inc({ place: PLACE_NAME[place] });
    log.info(
      {
        place: PLACE_NAME[place],
        outputHash: out.outputHash,
        latencyMs,
        inferMs: data.inferMs,
        seedWaitMs: data.seedWaitMs,
        ...timing,
      },
      "committed",
    );
    await ctx.queues.add("reveal", { taskId: data.taskId }, { dueAt: t.commitDeadline });
    await ctx.queues.add("finalize", { taskId: data.taskId }, { dueAt: t.revealDeadline });
  };

  /** reveal: in [commitDeadline, revealDeadline), reveal the committed hash and salt. */
  const reveal: Handler = async (data, { log }) => {
    const taskId = BigInt(data.taskId);
    const t = await readTask(ctx, taskId);
    const mine = await readCommitment(ctx, taskId, me);
    if (BigInt(mine.commitment) === 0n || mine.voided || mine.revealed || isFinal(t.status)) return;
    const now = ctx.chainNow();
    if (now < t.commitDeadline) throw new RescheduleError(t.commitDeadline, "reveal window not open");
    if (now >= t.revealDeadline) {
      log.error("reveal window closed before this node revealed");
      return;
    }
    const rec = await record(ctx, taskId);
    const s = await salt(ctx, taskId);
    let out = await computeOutput(ctx, rec, log);
    if (!out || commitmentOf(taskId, me, out.outputHash, s) !== mine.commitment.toLowerCase()) {
      out = await computeOutput(ctx, rec, log, false); // the cache was lost or stale: recompute
      if (!out || commitmentOf(taskId, me, out.outputHash, s) !== mine.commitment.toLowerCase())
        throw new UnrecoverableError("cannot reproduce the committed output (model or input changed?)");
    }
    try {
      await send("reveal", [taskId, me, out.outputHash, s], log);
    } catch (e) {
      if (e instanceof TxRevertError && e.errorName === "TaskManagerAlreadyRevealed") return; // the requester revealed for us
      throw e;
    }
    ctx.common.metrics.revealed.inc();
  };

  /** finalize: after the reveal deadline; then queue claims, liquidations, delivery, withdrawal. */
  const finalize: Handler = async (data, { log }) => {
    const taskId = BigInt(data.taskId);
    let t = await readTask(ctx, taskId);
    if (t.status === Status.None || t.status === Status.Cancelled) return;
    if (!isFinal(t.status)) {
      if (ctx.chainNow() < t.revealDeadline)
        throw new RescheduleError(t.revealDeadline, "reveal deadline not reached");
      if (t.seatHolders.length === 0 && !ctx.common.config.roles.includes("verifier")) return;
      try {
        await send("finalize", [taskId], log);
      } catch (e) {
        if (!(e instanceof TxRevertError)) throw e;
      }
      t = await readTask(ctx, taskId);
      if (!isFinal(t.status)) throw new Error("task not finalized yet");
    }
    const mine = await readCommitment(ctx, taskId, me);
    const committed = BigInt(mine.commitment) !== 0n && !mine.voided;
    if (ctx.common.config.roles.includes("verifier")) {
      const candidates = new Set([
        ...(await ctx.redis.smembers(ctx.key(`committers:${taskId}`))),
        ...(t.disputed ? await ctx.redis.smembers(ctx.key("nodes")) : []),
      ]);
      for (const n of candidates) {
        if (n === me.toLowerCase()) continue;
        await ctx.queues.add(
          "settle",
          { taskId: data.taskId, action: "liquidate", node: n as Address },
          { suffix: `liquidate-${n}` },
        );
      }
    }
    if (committed) {
      if (t.status === Status.Finalized) {
        if (mine.revealed && mine.outputHash === t.acceptedOutputHash) ctx.common.metrics.won.inc();
        else ctx.common.metrics.lost.inc({ reason: "wrong-or-silent" });
      }
      await ctx.queues.add("settle", { taskId: data.taskId, action: "claim" });
      if (t.status === Status.Finalized && !t.delivered)
        await ctx.queues.add("settle", { taskId: data.taskId, action: "deliver" });
    }
  };

  /** settle: claim, liquidate, deliver, withdraw. */
  const settle: Handler = async (data, { log }) => {
    const taskId = BigInt(data.taskId);
    const tolerate = async (fn: string, args: readonly unknown[], benign: RegExp) => {
      try {
        await send(fn, args, log);
        return true;
      } catch (e) {
        if (e instanceof TxRevertError && e.errorName && benign.test(e.errorName)) return false;
        throw e;
      }
    };
    switch (data.action) {
      case "liquidate": {
        const node = data.node!;
        const liq = (await ctx.clients.publicClient.readContract({
          address: tmAddr,
          abi: TM,
          functionName: "isLiquidatable",
          args: [taskId, node],
        })) as boolean;
        if (!liq) return;
        if (
          await tolerate(
            "liquidate",
            [taskId, node],
            /AlreadyLiquidated|NotLiquidatable|JurorExcused|SelfLiquidation/,
          )
        ) {
          ctx.common.metrics.liquidations.inc();
          log.info({ node }, "liquidated a wrong or silent node");
          // Liquidations add to what winners can claim: claim again afterwards.
          const mine = await readCommitment(ctx, taskId, me);
          if (BigInt(mine.commitment) !== 0n && !mine.voided)
            await ctx.queues.add(
              "settle",
              { taskId: data.taskId, action: "claim" },
              { suffix: `claim-after-${node.toLowerCase()}` },
            );
        }
        return;
      }
      case "claim": {
        if (await tolerate("claim", [taskId], /NothingToClaim|NotSettled|NotFinalized/))
          await ctx.queues.add(
            "settle",
            { taskId: data.taskId, action: "withdraw" },
            { suffix: `withdraw-${Date.now()}` },
          );
        return;
      }
      case "deliver": {
        const t = await readTask(ctx, taskId);
        if (t.delivered || t.status !== Status.Finalized) return;
        const out = await computeOutput(ctx, await record(ctx, taskId), log);
        if (!out || out.outputHash !== t.acceptedOutputHash) return;
        await tolerate("deliver", [taskId, toHex(toBytes(out.canonical))], /AlreadyDelivered|WrongOutput/);
        return;
      }
      case "withdraw": {
        const credit = (await ctx.clients.publicClient.readContract({
          address: tmAddr,
          abi: TM,
          functionName: "creditOf",
          args: [me],
        })) as bigint;
        if (credit > 0n) await tolerate("withdraw", [], /NothingToWithdraw/);
        return;
      }
      default:
        throw new UnrecoverableError(`unknown settle action ${String(data.action)}`);
    }
  };

  return { infer, commit, reveal, finalize, settle };
}

export type { TaskJobData };
