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
export interface WrongCase {
  id: number;
  requester: string;
  disputed: boolean;
  seats: number;
  verifiers: number;
  jurors: number;
  n: number;
  m: number;
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
    cases: WrongCase[];
    total: number;
    colluder: number;
    other: number;
    sdkTasks: number;
    sdkWrong: number;
    predicted: number;
  };
  cheaters: { nodes: number; caught: number; liquidations: number };
  /** What sortition gave the colluders (Committed events): their share of seats, verifier places per task, and
   * among the SDK tasks whose seats were all theirs, how many had no other sampled verifier. */
  sortition: {
    colluderSeatShare: number;
    verifiersPerTask: number;
    allColluderSeats: number;
    noOtherVerifier: number;
    /** Share of all seated tasks with no non-colluding sampled verifier (predicted: (1 − E/V)^(V − a)). */
    noOtherVerifierShare: number;
  };
  strategies: StrategyRow[];
  requesters: RequesterRow[];
  gas: { perTask: number; txs: number; failed: number; omnitPerTask: number };
  pool: number;
  /** Honest nodes that joined at the second round (--newcomers): how many earned, how soon, how much. */
  newcomers: {
    nodes: number;
    earned: number;
    /** Days from staking to the first Claimed event with an amount, over those that earned. */
    daysToFirstEarning: number[];
    /** Profit per node-day over the days each was staked. */
    perNodeDay: Stat;
    /** The established honest nodes' profit per node-day over the same days. */
    honestPerNodeDay: Stat;
    /** Seats (Committed, place 1) per node-day over those days: newcomers, established honest nodes. */
    seatsPerNodeDay: Stat;
    honestSeatsPerNodeDay: Stat;
  };
}

/** Per newcomer: days staked by the end of the run, days from joining to its first earning (if any). */
export type NewcomerTimes = Map<Address, { staked: number; firstEarning: number | undefined }>;

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
  newcomers: NewcomerTimes;
  /** From the newcomers' joining on: the established honest nodes' wealth then, the txs and events since. */
  sinceJoin: { wealth: Map<Address, bigint>; txs: SimTx[]; events: SimEvent[] };
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

/** How each wrong result got accepted: disputed or not, and the places committed (Committed events), n and m. */
function wrongCases(m: MeasureInput, finalized: Map<bigint, Hex>): WrongCase[] {
  const out: WrongCase[] = [];
  for (const t of m.tasks) {
    const R = finalized.get(t.id);
    if (R === undefined || R === outputHashOf(t.truth)) continue;
    const fin = by(m.events, "TaskFinalized").find((e) => e.args.taskId === t.id)!;
    const places = [0, 0, 0];
    for (const e of by(m.events, "Committed")) if (e.args.taskId === t.id) places[Number(e.args.place) - 1]++;
    const disputed = by(m.events, "TaskDisputed").some((e) => e.args.taskId === t.id);
    const [seats, verifiers, jurors] = places;
    out.push({
      id: Number(t.id),
      requester: t.req.kind,
      disputed,
      seats,
      verifiers,
      jurors,
      n: Number(fin.args.n),
      m: Number(fin.args.m),
    });
  }
  return out;
}

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
  return {
    total,
    colluder,
    other: total - colluder,
    sdkTasks,
    sdkWrong,
    predicted,
    cases: wrongCases(m, finalized),
  };
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
    const days = nodes.map((n) => m.newcomers.get(n.addr)?.staked ?? m.days);
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
      profitPerNodeDay: stat(profit.map((x, i) => x / days[i])),
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

function sortitionDiag(m: MeasureInput): SimReport["sortition"] {
  const colluders = new Set(m.w.nodes.filter((n) => n.name === "colluder").map((n) => n.addr));
  const per = new Map<bigint, { seats: Address[]; verifiers: Address[] }>();
  for (const e of by(m.events, "Committed")) {
    const t = per.get(e.args.taskId as bigint) ?? { seats: [], verifiers: [] };
    if (Number(e.args.place) === 1) t.seats.push(e.args.node as Address);
    if (Number(e.args.place) === 2) t.verifiers.push(e.args.node as Address);
    per.set(e.args.taskId as bigint, t);
  }
  const all = [...per.values()];
  const seats = all.flatMap((t) => t.seats);
  const sdk = new Set(m.tasks.filter((t) => t.req.kind === "sdk").map((t) => t.id));
  const captured = [...per.entries()].filter(
    ([id, t]) => sdk.has(id) && t.seats.every((a) => colluders.has(a)),
  );
  return {
    colluderSeatShare: seats.length ? count(seats, (a) => colluders.has(a)) / seats.length : 0,
    verifiersPerTask: all.length ? all.reduce((a, t) => a + t.verifiers.length, 0) / all.length : 0,
    allColluderSeats: captured.length,
    noOtherVerifier: count(captured, ([, t]) => t.verifiers.every((a) => colluders.has(a))),
    noOtherVerifierShare: all.length
      ? count(all, (t) => t.verifiers.every((a) => colluders.has(a))) / all.length
      : 0,
  };
}

export function measure(m: MeasureInput): SimReport {
  const gas = gasByAccount(m);
  const honest = new Set(
    m.w.nodes
      .filter((n) => n.name === "honest" || n.name === "selfDisputer" || n.name === "newcomer")
      .map((n) => n.addr),
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
    sortition: sortitionDiag(m),
    strategies: strategyRows(m, gas),
    requesters: requesterRows(m, gas),
    gas: {
      perTask: gasTotal / m.tasks.length,
      txs: m.txs.length,
      failed: count(m.txs, (t) => !t.ok),
      omnitPerTask: (gasTotal * m.c.gasPriceGwei * 1e-9) / m.c.omnitPriceEth / m.tasks.length,
    },
    pool: omnit(m.pool),
    newcomers: newcomerSummary(m, gas),
  };
}

function newcomerSummary(m: MeasureInput, gas: Map<Address, number>): SimReport["newcomers"] {
  const times = [...m.newcomers.values()];
  const days = times[0]?.staked ?? 0;
  const perDay = [...m.newcomers.entries()].map(
    ([a, t]) => (omnit((m.after.get(a) ?? 0n) - (m.before.get(a) ?? 0n)) - (gas.get(a) ?? 0)) / t.staked,
  );
  const gasSince = gasByAccount({ ...m, txs: m.sinceJoin.txs });
  const honest = [...m.sinceJoin.wealth.entries()].map(
    ([a, w0]) => (omnit((m.after.get(a) ?? 0n) - w0) - (gasSince.get(a) ?? 0)) / days,
  );
  const seats = new Map<Address, number>();
  for (const e of by(m.sinceJoin.events, "Committed"))
    if (Number(e.args.place) === 1)
      seats.set(e.args.node as Address, (seats.get(e.args.node as Address) ?? 0) + 1);
  const seatsPer = (as: Address[]) => stat(as.map((a) => (seats.get(a) ?? 0) / days));
  const earned = times.flatMap((t) => (t.firstEarning === undefined ? [] : [t.firstEarning]));
  return {
    nodes: times.length,
    earned: earned.length,
    daysToFirstEarning: earned,
    perNodeDay: stat(perDay),
    honestPerNodeDay: stat(honest),
    seatsPerNodeDay: seatsPer([...m.newcomers.keys()]),
    honestSeatsPerNodeDay: seatsPer([...m.sinceJoin.wealth.keys()]),
  };
}
