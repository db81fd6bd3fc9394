/**
 * runSim: deploys the protocol on an in-process chain through the devnet harness, sets up the
 * network of the config, runs rounds of tasks until --tasks, and measures everything from the
 * chain (events of the receipts, creditOf / stakeOf / balances, gasUsed). Used by `npm run sim`
 * (scripts/sim/main.ts) and by test/sim/sim.test.ts.
 */
import { keccak256, toHex, type Address, type Hex } from "viem";
import { modelRegistryAbi } from "../../workers/src/chain/abis.ts";
import { SimChain } from "./chain.ts";
import { deterministicClock } from "./clock.ts";
import type { SimConfig } from "./config.ts";
import { measure, type NewcomerTimes, type SimReport } from "./measure.ts";
import { runRound, type RoundCtx, type SimTask } from "./round.ts";
import { makeWorld, setUp, stakeNode, type World } from "./world.ts";

const SPEC =
  '{"inputs":[{"name":"x","type":"float32","dims":[1,8]}],"outputs":[{"name":"y","rule":{"op":"argmax"}}]}';

async function registerModel(chain: SimChain, c: SimConfig, owner: Address): Promise<Hex> {
  await chain.account(owner);
  const sha = keccak256(toHex(`sim:${c.seed}:model`));
  const registry = chain.d.contracts.ModelRegistry;
  await chain.send(owner, registry, modelRegistryAbi, "registerModel", [
    sha,
    "file://sim.onnx",
    SPEC,
    c.royaltyBps,
  ]);
  return chain.read<Hex>(registry, modelRegistryAbi, "modelIdOf", [owner, sha, SPEC]);
}

interface SinceJoin {
  wealth: Map<Address, bigint>;
  txs: number;
  events: number;
}

/** The newcomers stake now (before the second round); their wealth before is their stake's funding. */
async function join(
  chain: SimChain,
  c: SimConfig,
  w: World,
  joined: Map<Address, bigint>,
  before: Map<Address, bigint>,
  since: SinceJoin,
): Promise<void> {
  const fresh = w.nodes.filter((n) => n.name === "newcomer");
  if (!fresh.length) return;
  for (const n of fresh) {
    await stakeNode(chain, c, w, n);
    before.set(n.addr, await chain.wealth(n.addr));
  }
  await chain.warpTo((await chain.now()) + 60n); // active since before the round's tasks
  for (const n of fresh) joined.set(n.addr, await chain.now());
  // The established honest nodes' wealth now: their income over the newcomers' days, to compare.
  for (const n of w.nodes.filter((x) => x.name === "honest"))
    since.wealth.set(n.addr, await chain.wealth(n.addr));
  since.txs = chain.txs.length;
  since.events = chain.events.length;
}

/**
 * For each newcomer, the days it was staked and the days from joining to its first earning: the
 * block time of its first Claimed event with an amount (undefined: none by the end of the run).
 */
async function newcomerTimes(
  chain: SimChain,
  joined: Map<Address, bigint>,
  end: bigint,
  eventsBefore: number,
): Promise<NewcomerTimes> {
  const out: NewcomerTimes = new Map();
  const claims = chain.events
    .slice(eventsBefore)
    .filter((e) => e.name === "Claimed" && (e.args.amount as bigint) > 0n);
  for (const [node, t0] of joined) {
    const first = claims.find((e) => e.args.node === node);
    const at = first ? await chain.blockTime(first.block) : undefined;
    out.set(node, {
      staked: Number(end - t0) / 86_400,
      firstEarning: at === undefined ? undefined : Number(at - t0) / 86_400,
    });
  }
  return out;
}

export interface Provider {
  request: (a: { method: string; params?: unknown[] }) => Promise<unknown>;
}

/** Runs one simulation on `provider` (a fresh in-process chain) and returns its report. */
export async function runSim(
  c: SimConfig,
  provider: Provider,
  log: (s: string) => void = () => {},
): Promise<SimReport> {
  const started = Date.now();
  const chain = new SimChain(deterministicClock(provider) as never);
  await chain.deploy();
  const w0 = makeWorld(c, "0x");
  const modelId = await registerModel(chain, c, w0.modelOwner);
  const w = { ...w0, modelId };
  await setUp(chain, c, w);
  const accounts = [
    ...w.nodes.map((n) => n.addr),
    ...w.requesters.map((r) => r.addr),
    w.keeper,
    w.modelOwner,
  ];
  const before = new Map<Address, bigint>();
  for (const a of accounts) before.set(a, await chain.wealth(a));
  const txsBefore = chain.txs.length;
  const eventsBefore = chain.events.length;
  const startTime = await chain.now();
  const ctx: RoundCtx = { chain, c, w, active: [], nextTask: 0 };
  const tasks: SimTask[] = [];
  const joined = new Map<Address, bigint>();
  const since: SinceJoin = { wealth: new Map(), txs: 0, events: 0 };
  if (c.newcomers > 0 && c.tasks <= c.batch)
    throw new Error("--newcomers join at the second round: --tasks must be more than --batch");
  while (tasks.length < c.tasks) {
    if (tasks.length > 0 && joined.size === 0) await join(chain, c, w, joined, before, since);
    const n = Math.min(c.batch, c.tasks - tasks.length);
    tasks.push(...(await runRound(ctx, n)));
    log(
      `round ${Math.ceil(tasks.length / c.batch)}: ${tasks.length}/${c.tasks} tasks, ${chain.txs.length} txs, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  const after = new Map<Address, bigint>();
  for (const a of accounts) after.set(a, await chain.wealth(a));
  const end = await chain.now();
  const days = Number(end - startTime) / 86_400;
  return measure({
    c,
    w,
    tasks,
    txs: chain.txs.slice(txsBefore),
    events: chain.events.slice(eventsBefore),
    before,
    after,
    days,
    pool: await chain.readTm<bigint>("verificationPool"),
    newcomers: await newcomerTimes(chain, joined, end, eventsBefore),
    sinceJoin: {
      wealth: since.wealth,
      txs: chain.txs.slice(since.txs),
      events: chain.events.slice(since.events),
    },
    seconds: (Date.now() - started) / 1000,
  });
}
