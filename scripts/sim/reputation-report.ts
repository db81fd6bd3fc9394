/**
 * The reputation comparison's section of docs/economics.md (npm run sim -- --compare-reputation):
 * each seat weighting of scripts/sim/reputation.ts on the same seeds, everything read from the chain
 * by measure.ts. Confidence intervals: Wilson's for the pooled wrong-accepted rate, Student's t over
 * the seeds for per-run means (honest income), and over the seeds' paired differences against
 * today's sortition (the same seed gives the same network, tasks and strategies).
 */
import type { SimReport, Stat } from "./measure.ts";
import type { SeatWeight } from "./reputation.ts";
import { barChart } from "./svg.ts";

export interface RepPoint {
  weight: SeatWeight;
  seed: string;
  report: SimReport;
}

/** Two-sided 95 % Student t quantiles by degrees of freedom (1.96 beyond 30). */
const T95 = [NaN, 12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23];
const t95 = (df: number) => (df < 1 ? NaN : df < T95.length ? T95[df] : df <= 30 ? 2.05 : 1.96);

/** Mean ± t-based 95 % half-width over a few replicate values. */
export function tStat(xs: number[]): Stat {
  const n = xs.length;
  const mean = n ? xs.reduce((a, x) => a + x, 0) / n : 0;
  if (n < 2) return { mean, ci: 0, n };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { mean, ci: (t95(n - 1) * sd) / Math.sqrt(n), n };
}

/** Wilson 95 % interval of k successes in n, as [low, high]. */
export function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const pm = (s: Stat, d = 2) => `${f(s.mean, d)} ± ${f(s.ci, d)}`;
const row = (r: SimReport, name: string) => r.strategies.find((s) => s.name === name);

export interface RepSummary {
  weight: SeatWeight;
  runs: number;
  sdkTasks: number;
  sdkWrong: number;
  wrongCi: [number, number];
  honestPerNodeDay: Stat;
  honestDelta: Stat;
  absentJurorSeats: Stat;
  cheaterSeats: Stat;
  disputedShare: Stat;
  sdkCostPerRight: Stat;
  newcomers: number;
  newcomersEarned: number;
  daysToFirstEarning: Stat;
  newcomerPerNodeDay: Stat;
  honestSameDays: Stat;
  newcomerSeats: Stat;
  honestSeats: Stat;
  honestSlashes: number;
}

function seatsOf(r: SimReport, name: string): number {
  const s = row(r, name);
  return s ? s.places / s.nodes : 0;
}

export function summarize(points: RepPoint[]): RepSummary[] {
  const weights = [...new Set(points.map((p) => p.weight))];
  const base = new Map(points.filter((p) => p.weight === "none").map((p) => [p.seed, p.report]));
  return weights.map((weight) => {
    const ps = points.filter((p) => p.weight === weight).map((p) => ({ seed: p.seed, r: p.report }));
    const sum = (g: (r: SimReport) => number) => ps.reduce((a, p) => a + g(p.r), 0);
    const sdkTasks = sum((r) => r.wrongAccepted.sdkTasks);
    const sdkWrong = sum((r) => r.wrongAccepted.sdkWrong);
    const honest = (r: SimReport) => row(r, "honest")?.profitPerNodeDay.mean ?? NaN;
    const deltas = ps.flatMap((p) => {
      const b = base.get(p.seed);
      return b ? [honest(p.r) - honest(b)] : [];
    });
    const days = ps.flatMap((p) => p.r.newcomers.daysToFirstEarning);
    return {
      weight,
      runs: ps.length,
      sdkTasks,
      sdkWrong,
      wrongCi: wilson(sdkWrong, sdkTasks),
      honestPerNodeDay: tStat(ps.map((p) => honest(p.r))),
      honestDelta: tStat(deltas),
      absentJurorSeats: tStat(ps.map((p) => seatsOf(p.r, "absentJuror"))),
      cheaterSeats: tStat(ps.map((p) => seatsOf(p.r, "cheater"))),
      disputedShare: tStat(ps.map((p) => p.r.outcomes.disputed / (p.r.tasks || 1))),
      sdkCostPerRight: tStat(
        ps.map((p) => p.r.requesters.find((q) => q.kind === "sdk")?.costPerAccepted ?? NaN),
      ),
      newcomers: sum((r) => r.newcomers.nodes),
      newcomersEarned: sum((r) => r.newcomers.earned),
      daysToFirstEarning: tStat(days),
      newcomerPerNodeDay: tStat(ps.map((p) => p.r.newcomers.perNodeDay.mean)),
      honestSameDays: tStat(ps.map((p) => p.r.newcomers.honestPerNodeDay.mean)),
      newcomerSeats: tStat(ps.map((p) => p.r.newcomers.seatsPerNodeDay.mean)),
      honestSeats: tStat(ps.map((p) => p.r.newcomers.honestSeatsPerNodeDay.mean)),
      honestSlashes: sum((r) => r.honestSlashes),
    };
  });
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

export function reputationTable(s: RepSummary[]): string[] {
  return [
    "| seat weight | runs | wrong accepted, SDK tasks (95 % CI) | tasks disputed | SDK cost per right answer (OMNIT) | honest profit per node-day | Δ vs none (paired by seed) | places per cheater / absent juror | newcomers that earned | days to first earning | newcomer profit per node-day | established honest, same days | newcomer seats per node-day | established seats per node-day | honest slashes |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...s.map(
      (x) =>
        `| ${x.weight} | ${x.runs} | ${x.sdkWrong} of ${x.sdkTasks}: ${pct(x.sdkWrong / (x.sdkTasks || 1))} (${pct(x.wrongCi[0])}–${pct(x.wrongCi[1])}) | ${pct(x.disputedShare.mean)} ± ${pct(x.disputedShare.ci)} | ${pm(x.sdkCostPerRight, 3)} | ${pm(x.honestPerNodeDay)} | ${x.weight === "none" ? "–" : pm(x.honestDelta)} | ${f(x.cheaterSeats.mean, 1)} / ${f(x.absentJurorSeats.mean, 1)} | ${x.newcomersEarned} of ${x.newcomers} | ${pm(x.daysToFirstEarning)} | ${pm(x.newcomerPerNodeDay)} | ${pm(x.honestSameDays)} | ${pm(x.newcomerSeats)} | ${pm(x.honestSeats)} | ${x.honestSlashes} |`,
    ),
  ];
}

/** Seats per node-day of newcomers and of established honest nodes, by weighting (bars with 95 % CI). */
export function reputationPlot(s: RepSummary[]): string {
  const bars = s.flatMap((x) => [
    { label: `${x.weight}: new`, value: x.newcomerSeats.mean, ci: x.newcomerSeats.ci },
    { label: `${x.weight}: old`, value: x.honestSeats.mean, ci: x.honestSeats.ci },
  ]);
  return barChart("Seats per node-day after the newcomers join (95 % CI)", "seats per node-day", bars);
}
