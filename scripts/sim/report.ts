/**
 * The report of a simulation: printed, and (unless --small / --no-write) written to
 * docs/economics.md with its plots in docs/economics/*.svg. Every number comes from SimReport,
 * which reads only the chain (scripts/sim/measure.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as prettier from "prettier";
import { formatEther } from "viem";
import { ROOT } from "../../test/support/devnet.ts";
import type { SimReport, Stat } from "./measure.ts";
import { reputationPlot, reputationTable, summarize, type RepPoint } from "./reputation-report.ts";
import { barChart, lineChart } from "./svg.ts";

export interface SweepPoint {
  alpha: number;
  redundancy: number;
  report: SimReport;
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const pm = (s: Stat, d = 2) => `${f(s.mean, d)} ± ${f(s.ci, d)}`;
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(2)} %` : "–");

function setup(r: SimReport, command: string): string[] {
  const c = r.config;
  const params =
    Object.entries(c.params)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ") || "the defaults of PROTOCOL.md §3";
  return [
    `Command: \`${command}\` (seed \`${c.seed}\`), ${f(r.seconds, 0)} s of wall time.`,
    "",
    `${c.nodes} nodes, each staking ${formatEther(c.stake)} OMNIT with both roles; α = ${c.alpha} colluders; ` +
      `${r.tasks} tasks of ${formatEther(c.reward)} OMNIT at redundancy ${c.redundancy}, royalty ${c.royaltyBps / 100} %, ` +
      `in rounds of ${c.batch} (one task life each, ${f(r.days, 1)} chain days in all); parameters: ${params}; ` +
      `gas at ${c.gasPriceGwei} gwei and ${c.omnitPriceEth} ETH per OMNIT; cheaters cheat at rate ${c.cheatRate}.`,
  ];
}

function headline(r: SimReport): string[] {
  const w = r.wrongAccepted;
  const o = r.outcomes;
  return [
    "| what | measured |",
    "| --- | --- |",
    `| honest slashes (Liquidated / Slashed events on honest nodes) | **${r.honestSlashes}** |`,
    `| wrong results accepted (TaskFinalized with a wrong hash), all tasks | ${w.total} of ${r.tasks} (${pct(w.total, r.tasks)}): ${w.colluder} the colluders', ${w.other} a cheater's |`,
    `| wrong results accepted, tasks of SDK requesters | ${w.sdkWrong} of ${w.sdkTasks} (${pct(w.sdkWrong, w.sdkTasks)}); sortition predicts ${f(w.predicted)} (${pct(w.predicted, w.sdkTasks)}) for the colluders |`,
    `| what sortition gave the colluders (Committed events) | ${pct(r.sortition.colluderSeatShare, 1)} of seats; ${f(r.sortition.verifiersPerTask)} sampled verifiers per seated task; ${r.sortition.allColluderSeats} SDK tasks with every seat theirs, ${r.sortition.noOtherVerifier} of them with no other verifier; tasks with no non-colluding verifier ${pct(r.sortition.noOtherVerifierShare, 1)} |`,
    `| cheaters caught (liquidated at least once) | ${r.cheaters.caught} of ${r.cheaters.nodes} nodes, ${r.cheaters.liquidations} liquidations |`,
    `| outcomes | ${o.finalized} Finalized, ${o.unresolved} Unresolved, ${o.cancelled} Cancelled; ${o.disputed} disputed, of which ${o.blocked} ended Unresolved (the 66 % bar not reached) |`,
    `| gas per task (every transaction of the rounds) | ${f(r.gas.perTask, 0)} gas = ${f(r.gas.omnitPerTask, 3)} OMNIT; ${r.gas.txs} transactions, ${r.gas.failed} reverted |`,
    `| verification pool at the end | ${f(r.pool)} OMNIT |`,
  ];
}

function strategies(r: SimReport): string[] {
  return [
    "| strategy | nodes | places | liquidations | slashed (OMNIT) | gas (OMNIT) | profit per place (OMNIT) | profit per node-day (OMNIT) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.strategies.map(
      (s) =>
        `| ${s.name} | ${s.nodes} | ${s.places} | ${s.liquidations} | ${f(s.slashed)} | ${f(s.gas)} | ${pm(s.profitPerPlace, 3)} | ${pm(s.profitPerNodeDay)} |`,
    ),
  ];
}

function requesters(r: SimReport): string[] {
  return [
    "| requester | tasks | disputed | accepted right | accepted wrong | cost per task (OMNIT) | cost per right answer (OMNIT) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.requesters.map(
      (q) =>
        `| ${q.kind} | ${q.tasks} | ${q.disputes} | ${q.accepted} | ${q.wrongAccepted} | ${f(q.costPerTask, 3)} | ${f(q.costPerAccepted, 3)} |`,
    ),
  ];
}

function sweepTable(points: SweepPoint[]): string[] {
  return [
    "| α | redundancy | tasks (SDK) | wrong accepted (SDK) | predicted | SDK tasks with every seat colluding | no non-colluding verifier (measured / predicted) | disputes blocked (Unresolved) | colluder profit per node-day | honest profit per node-day | honest slashes |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...points.map(({ alpha, redundancy, report: p }) => {
      const col = p.strategies.find((s) => s.name === "colluder");
      const hon = p.strategies.find((s) => s.name === "honest");
      const w = p.wrongAccepted;
      const so = p.sortition;
      const V = p.config.nodes;
      const noOther = `${pct(so.noOtherVerifierShare, 1)} / ${pct(Math.pow(1 - 3 / V, V - Math.round(alpha * V)), 1)}`;
      return `| ${alpha} | ${redundancy} | ${w.sdkTasks} | ${w.sdkWrong} (${pct(w.sdkWrong, w.sdkTasks)}) | ${pct(w.predicted, w.sdkTasks)} | ${so.allColluderSeats} | ${noOther} | ${p.outcomes.blocked} of ${p.outcomes.disputed} | ${col ? pm(col.profitPerNodeDay) : "–"} | ${hon ? pm(hon.profitPerNodeDay) : "–"} | ${p.honestSlashes} |`;
    }),
  ];
}

const INTRO = [
  "# Economics: the network simulation",
  "",
  "Written by `npm run sim` (scripts/sim/); do not edit the tables by hand. The simulation drives the real",
  "contracts on Hardhat's in-process EDR chain (deployed by the Ignition module through test/support/devnet.ts),",
  "with real sortition and real OMNIT; only inference is synthetic (an output is a label, its hash the output",
  "hash). Every number below is read from the chain: receipts' events (TaskCreated, Committed, TaskDisputed,",
  "TaskFinalized / TaskUnresolved / TaskCancelled, Liquidated, NodeStaking's Slashed), each account's wallet +",
  "`creditOf` + `stakeOf` + unbonding before and after, and receipts' `gasUsed`.",
  "",
];

/** Prints the report; writes docs/economics.md and its plots when asked. */
export async function writeReport(
  r: SimReport,
  command: string,
  o: {
    write: boolean;
    sweep?: SweepPoint[];
    sweepCommand?: string;
    reputation?: RepPoint[];
    reputationCommand?: string;
  },
): Promise<string> {
  const md = [
    ...INTRO,
    ...setup(r, command),
    "",
    "## Headline",
    "",
    ...headline(r),
    "",
    "## Profit by strategy",
    "",
    "Profit = change of wallet + credit + stake + unbonding over the run, less the gas the node paid (a",
    "revealBatch / claimBatch's gas shared equally among its entries' nodes); ± is the 95 % confidence",
    "interval of the mean over the strategy's nodes. A place is a commitment (seat, verifier or juror).",
    "The self-disputer's row includes its requester account.",
    "",
    ...strategies(r),
    "",
    "![profit per node-day by strategy](economics/profit.svg)",
    "",
    "## Requesters",
    "",
    "Cost = what left the requester's wallet and credit (escrow, dispute bonds, gas) less refunds; the",
    "canary's rewards come from the verification pool (`spendPool`) and are counted as its cost.",
    "",
    ...requesters(r),
    ...(o.sweep?.length
      ? [
          "",
          "## Sweep over α and redundancy",
          "",
          `Command: \`${o.sweepCommand}\`.`,
          "",
          ...sweepTable(o.sweep),
          "",
          "![wrong accepted vs α](economics/sweep.svg)",
        ]
      : []),
    ...(o.reputation?.length ? reputationSection(o.reputation, o.reputationCommand ?? "") : []),
    "",
  ].join("\n");
  console.log(md);
  if (o.write) await writeFiles(r, md, o.sweep, o.reputation);
  return md;
}

function reputationSection(points: RepPoint[], command: string): string[] {
  return [
    "",
    "## Reputation in use: seats weighted by `reputationOf`",
    "",
    `Command: \`${command}\`.`,
    "",
    "The contracts' sortition is today's in every run. A weighting gives each active node a seat chance w",
    "from its `reputationOf` counters, read from the chain at the start of each round (scripts/sim/reputation.ts):",
    "`none` w = 1 (today); `liquidations` w = 2^−(wrong + silent), each liquidation halves the chance;",
    "`ramp` the same times min(1, (agreed + 1) / 10), a new node starting at a tenth. It is applied by",
    "thinning: a node keeps a task's seat draw when a uniform number from keccak256(seat seed, node) is",
    "below w, and the k best ranks among the nodes that keep it commit; the thinned nodes do not commit",
    "and the contract's doubling seat threshold lets the next ranks in. That is a node-side seat policy on",
    "today's contracts, applied here to every node (attackers included) as a contract rule would be;",
    "verifier and jury draws are not weighted (a drawn juror that does not commit is liquidated). Newcomers",
    "are 10 honest nodes that stake at the start of the second round; their income and seats are compared",
    "with the established honest nodes' over the same days. Intervals: Wilson's for the pooled",
    "wrong-accepted rate; Student's t over the seeds for the rest (days to first earning: over the",
    "newcomers). Claims are sent at the end of each round, so days to first earning is counted in rounds",
    "(one round ≈ one chain day).",
    "",
    ...reputationTable(summarize(points)),
    "",
    "![seats per node-day by seat weight](economics/reputation.svg)",
  ];
}

async function writeFiles(
  r: SimReport,
  md: string,
  sweep?: SweepPoint[],
  reputation?: RepPoint[],
): Promise<void> {
  const out = join(ROOT, "docs", "economics.md");
  mkdirSync(join(ROOT, "docs", "economics"), { recursive: true });
  const bars = r.strategies.map((s) => ({
    label: s.name,
    value: s.profitPerNodeDay.mean,
    ci: s.profitPerNodeDay.ci,
  }));
  const title = "Profit per node-day (OMNIT, 95 % CI)";
  writeFileSync(join(ROOT, "docs", "economics", "profit.svg"), barChart(title, "OMNIT per node-day", bars));
  if (sweep?.length) writeFileSync(join(ROOT, "docs", "economics", "sweep.svg"), sweepPlot(sweep));
  if (reputation?.length)
    writeFileSync(join(ROOT, "docs", "economics", "reputation.svg"), reputationPlot(summarize(reputation)));
  const full = md + "\n" + readFileSync(join(ROOT, "scripts", "sim", "economics-notes.md"), "utf8");
  writeFileSync(out, await prettier.format(full, { ...(await prettier.resolveConfig(out)), filepath: out }));
  console.error(`wrote ${out}`);
}

function sweepPlot(points: SweepPoint[]): string {
  const colors = ["#c54", "#47c", "#4a7", "#a5c"];
  const ks = [...new Set(points.map((p) => p.redundancy))];
  const series = ks.flatMap((k, i) => {
    const ps = points.filter((p) => p.redundancy === k);
    const rate = (a: number, b: number) => (b ? (100 * a) / b : 0);
    return [
      {
        name: `k=${k} measured`,
        color: colors[i % 4],
        points: ps.map(
          (p) =>
            [p.alpha, rate(p.report.wrongAccepted.sdkWrong, p.report.wrongAccepted.sdkTasks)] as [
              number,
              number,
            ],
        ),
      },
      {
        name: `k=${k} predicted`,
        color: colors[i % 4],
        dashed: true,
        points: ps.map(
          (p) =>
            [p.alpha, rate(p.report.wrongAccepted.predicted, p.report.wrongAccepted.sdkTasks)] as [
              number,
              number,
            ],
        ),
      },
    ];
  });
  return lineChart(
    "Wrong results accepted (SDK requesters)",
    "α (share of colluding nodes)",
    "% of tasks",
    series,
  );
}
