/**
 * The report's numbers, all read from the chain: the events of the simulation's receipts
 * (TaskCreated, Committed, TaskDisputed, TaskFinalized / TaskUnresolved / TaskCancelled,
 * Liquidated, NodeStaking's Slashed), each account's wealth before and after (wallet + creditOf +
 * stakeOf + unbonding) and the receipts' gasUsed. The strategies' own records are not used: only
 * the ground truth of each task (which label is right, which is the colluders') comes from the sim.
 */
import { formatEther, type Address, type Hex } from "viem";
import { outputHashOf } from "../../workers/src/protocol/index.ts";
import type { SimEvent, SimTx } from "./chain.ts";
import type { SimConfig } from "./config.ts";
import type { RequesterKind } from "./requesters.ts";
import type { SimTask } from "./round.ts";
import { predictedWrong } from "./sortition.ts";
import type { World } from "./world.ts";

export interface Stat {
  mean: number;
  /** Half-width of the 95 % confidence interval of the mean (normal approximation; 0 with one sample). */
  ci: number;
  n: number;
}
export interface StrategyRow {
  name: string;
  nodes: number;
  places: number;
  liquidations: number;
  slashed: number;
  gas: number;
  profitPerPlace: Stat;
  profitPerNodeDay: Stat;
}
export interface RequesterRow {
  kind: RequesterKind;
  tasks: number;
  disputes: number;
  accepted: number;
  wrongAccepted: number;
  costPerTask: number;
  costPerAccepted: number;
}
export interface SimReport {
  config: SimConfig;
  tasks: number;
  seconds: number;
  days: number;
  outcomes: { finalized: number; unresolved: number; cancelled: number; disputed: number; blocked: number };
  honestSlashes: number;
  wrongAccepted: {
    total: number;
    colluder: number;
    other: number;
    sdkTasks: number;
    sdkWrong: number;
    predicted: number;
  };
  cheaters: { nodes: number; caught: number; liquidations: number };
  strategies: StrategyRow[];
  requesters: RequesterRow[];
  gas: { perTask: number; txs: number; failed: number; omnitPerTask: number };
  pool: number;
}

export interface MeasureInput {
  c: SimConfig;
  w: World;
  tasks: SimTask[];
  txs: SimTx[];
  events: SimEvent[];
  before: Map<Address, bigint>;
  after: Map<Address, bigint>;
  days: number;
  pool: bigint;
  seconds: number;
}

export function stat(xs: number[]): Stat {
  const n = xs.length;
  if (n === 0) return { mean: 0, ci: 0, n };
  const mean = xs.reduce((a, x) => a + x, 0) / n;
  if (n < 2) return { mean, ci: 0, n };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { mean, ci: (1.96 * sd) / Math.sqrt(n), n };
}

const omnit = (wei: bigint) => Number(formatEther(wei));

/** Gas paid by each account, in OMNIT at the config's prices (a batch's gas shared among its entries' nodes). */
function gasByAccount(m: MeasureInput): Map<Address, number> {
  const perGas = (m.c.gasPriceGwei * 1e-9) / m.c.omnitPriceEth;
  const out = new Map<Address, number>();
  const add = (a: Address, g: number) => out.set(a, (out.get(a) ?? 0) + g * perGas);
  for (const t of m.txs) {
    if (t.payers?.length) for (const p of t.payers) add(p, Number(t.gasUsed) / t.payers.length);
    else add(t.from, Number(t.gasUsed));
  }
  return out;
}

const count = <T>(xs: T[], f: (x: T) => boolean) => xs.reduce((a, x) => a + (f(x) ? 1 : 0), 0);
const by = (events: SimEvent[], name: string) => events.filter((e) => e.name === name);

function wrongAccepted(m: MeasureInput): SimReport["wrongAccepted"] {
  const finalized = new Map(
    by(m.events, "TaskFinalized").map((e) => [e.args.taskId as bigint, e.args.outputHash as Hex]),
  );
  let [total, colluder, sdkTasks, sdkWrong, predicted] = [0, 0, 0, 0, 0];
  for (const t of m.tasks) {
    const R = finalized.get(t.id);
    const wrong = R !== undefined && R !== outputHashOf(t.truth);
    if (wrong) total++;
    if (wrong && R === outputHashOf(t.collusion)) colluder++;
    if (t.req.kind !== "sdk") continue;
    sdkTasks++;
    if (wrong) sdkWrong++;
    const { computeCount, validatorCount, expectedVerifiers } = t.t;
    predicted += predictedWrong(
      t.colluders,
      Number(computeCount),
      Number(validatorCount),
      m.c.redundancy,
      expectedVerifiers,
    );
  }
  return { total, colluder, other: total - colluder, sdkTasks, sdkWrong, predicted };
}

function strategyRows(m: MeasureInput, gas: Map<Address, number>): StrategyRow[] {
  const places = new Map<Address, number>();
  for (const e of by(m.events, "Committed"))
    places.set(e.args.node as Address, (places.get(e.args.node as Address) ?? 0) + 1);
  const liq = by(m.events, "Liquidated");
  const delta = (a: Address) => omnit((m.after.get(a) ?? 0n) - (m.before.get(a) ?? 0n)) - (gas.get(a) ?? 0);
  // The self-disputer's requester account is the same owner as its nodes: its result is shared among them.
  const selfNodes = m.w.nodes.filter((n) => n.name === "selfDisputer");
  const selfReq = m.w.requesters.filter((r) => r.kind === "self").reduce((a, r) => a + delta(r.addr), 0);
  const rows: StrategyRow[] = [];
  for (const name of [...new Set(m.w.nodes.map((n) => n.name))]) {
    const nodes = m.w.nodes.filter((n) => n.name === name);
    const profit = nodes.map(
      (n) => delta(n.addr) + (name === "selfDisputer" ? selfReq / selfNodes.length : 0),
    );
    const mine = new Set(nodes.map((n) => n.addr));
    const ofMine = liq.filter((e) => mine.has(e.args.node as Address));
    const p = nodes.map((n) => places.get(n.addr) ?? 0);
    rows.push({
      name,
      nodes: nodes.length,
      places: p.reduce((a, x) => a + x, 0),
      liquidations: ofMine.length,
      slashed: ofMine.reduce((a, e) => a + omnit(e.args.amount as bigint), 0),
      gas: nodes.reduce((a, n) => a + (gas.get(n.addr) ?? 0), 0),
      profitPerPlace: stat(profit.flatMap((x, i) => (p[i] > 0 ? [x / p[i]] : []))),
      profitPerNodeDay: stat(profit.map((x) => x / m.days)),
    });
  }
  return rows;
}

function requesterRows(m: MeasureInput, gas: Map<Address, number>): RequesterRow[] {
  const finalized = new Map(
    by(m.events, "TaskFinalized").map((e) => [e.args.taskId as bigint, e.args.outputHash as Hex]),
  );
  const disputed = new Set(by(m.events, "TaskDisputed").map((e) => e.args.taskId as bigint));
  const rows: RequesterRow[] = [];
  for (const kind of [...new Set(m.w.requesters.map((r) => r.kind))]) {
    const accounts = new Set(m.w.requesters.filter((r) => r.kind === kind).map((r) => r.addr));
    const ids = by(m.events, "TaskCreated").filter((e) => accounts.has(e.args.requester as Address));
    const tasks = m.tasks.filter((t) => accounts.has(t.req.addr));
    const accepted = count(tasks, (t) => finalized.get(t.id) === outputHashOf(t.truth));
    const wrong = count(tasks, (t) => finalized.has(t.id) && finalized.get(t.id) !== outputHashOf(t.truth));
    let cost = 0;
    for (const a of accounts)
      cost += omnit((m.before.get(a) ?? 0n) - (m.after.get(a) ?? 0n)) + (gas.get(a) ?? 0);
    // The canary's rewards came from the verification pool (spendPool, one reward per task).
    if (kind === "canary") cost += ids.reduce((a, e) => a + omnit(e.args.reward as bigint), 0);
    rows.push({
      kind,
      tasks: ids.length,
      disputes: count(tasks, (t) => disputed.has(t.id)),
      accepted,
      wrongAccepted: wrong,
      costPerTask: ids.length ? cost / ids.length : 0,
      costPerAccepted: accepted ? cost / accepted : NaN,
    });
  }
  return rows;
}

export function measure(m: MeasureInput): SimReport {
  const gas = gasByAccount(m);
  const honest = new Set(
    m.w.nodes.filter((n) => n.name === "honest" || n.name === "selfDisputer").map((n) => n.addr),
  );
  const cheaters = new Set(m.w.nodes.filter((n) => n.name === "cheater").map((n) => n.addr));
  const liq = by(m.events, "Liquidated");
  const slashedHonest = by(m.events, "Slashed").filter((e) => honest.has(e.args.node as Address));
  const disputedIds = new Set(by(m.events, "TaskDisputed").map((e) => e.args.taskId as bigint));
  const gasTotal = m.txs.reduce((a, t) => a + Number(t.gasUsed), 0);
  return {
    config: m.c,
    tasks: m.tasks.length,
    seconds: m.seconds,
    days: m.days,
    outcomes: {
      finalized: by(m.events, "TaskFinalized").length,
      unresolved: by(m.events, "TaskUnresolved").length,
      cancelled: by(m.events, "TaskCancelled").length,
      disputed: by(m.events, "TaskDisputed").length,
      blocked: count(by(m.events, "TaskUnresolved"), (e) => disputedIds.has(e.args.taskId as bigint)),
    },
    honestSlashes: Math.max(
      count(liq, (e) => honest.has(e.args.node as Address)),
      slashedHonest.length,
    ),
    wrongAccepted: wrongAccepted(m),
    cheaters: {
      nodes: cheaters.size,
      caught: new Set(liq.filter((e) => cheaters.has(e.args.node as Address)).map((e) => e.args.node)).size,
      liquidations: count(liq, (e) => cheaters.has(e.args.node as Address)),
    },
    strategies: strategyRows(m, gas),
    requesters: requesterRows(m, gas),
    gas: {
      perTask: gasTotal / m.tasks.length,
      txs: m.txs.length,
      failed: count(m.txs, (t) => !t.ok),
      omnitPerTask: (gasTotal * m.c.gasPriceGwei * 1e-9) / m.c.omnitPriceEth / m.tasks.length,
    },
    pool: omnit(m.pool),
  };
}
