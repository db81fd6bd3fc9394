/**
 * npm run sim -- [flags]: the network simulation of issue 13 on the real contracts (in-process
 * EDR chain, Ignition deployment of the devnet harness). Prints the report and, unless --small or
 * --no-write, writes docs/economics.md with its SVG plots (docs/economics/*.svg). --sweep adds
 * runs over α × redundancy (each on a fresh chain, --sweep-tasks tasks each).
 */
import { writeFileSync } from "node:fs";
import { network } from "hardhat";
import { COMPARE_NEWCOMERS, HELP, parseArgs, type SimConfig } from "./config.ts";
import type { SimReport } from "./measure.ts";
import { writeReport, type SweepPoint } from "./report.ts";
import { SEAT_WEIGHTS } from "./reputation.ts";
import type { RepPoint } from "./reputation-report.ts";
import { runSim } from "./run.ts";

const SWEEP_ALPHA = [0.1, 0.2, 0.33];
const SWEEP_K = [1, 3];
const GENESIS = "2026-01-01T00:00:00Z";

async function once(c: SimConfig): Promise<SimReport> {
  // A fixed genesis date and the deterministic clock (clock.ts): the same flags give the same run.
  const conn = await network.create({ override: { initialDate: GENESIS } });
  try {
    return await runSim(c, conn.provider, (s) => !c.quiet && console.error(s));
  } finally {
    await conn.close();
  }
}

async function sweep(c: SimConfig): Promise<SweepPoint[]> {
  const out: SweepPoint[] = [];
  for (const alpha of SWEEP_ALPHA)
    for (const redundancy of SWEEP_K) {
      console.error(`sweep: α ${alpha}, redundancy ${redundancy}`);
      const report = await once({ ...c, alpha, redundancy, tasks: c.sweepTasks, batch: c.sweepTasks });
      out.push({ alpha, redundancy, report });
    }
  return out;
}

/** Each seat weighting on --replicates seeds (seed-1, seed-2, …), --compare-tasks tasks and newcomers each. */
async function compareReputation(c: SimConfig): Promise<RepPoint[]> {
  const out: RepPoint[] = [];
  for (const weight of SEAT_WEIGHTS)
    for (let i = 1; i <= c.replicates; i++) {
      const seed = `${c.seed}-${i}`;
      console.error(`reputation: seat weight ${weight}, seed ${seed}`);
      const run = { ...c, seatWeight: weight, seed, tasks: c.compareTasks, newcomers: COMPARE_NEWCOMERS };
      out.push({ weight, seed, report: await once(run) });
    }
  return out;
}

const argv = process.argv.slice(2).filter((a) => a !== "--");
const c = parseArgs(argv);
if (c === "help") {
  console.log(HELP);
} else {
  const command = ["npm run sim --", ...argv].join(" ").replace(/ --$/, "");
  const report = await once(c);
  const points = c.sweep ? await sweep(c) : undefined;
  const rep = c.compareReputation ? await compareReputation(c) : undefined;
  const sweepCommand = `the same flags with --alpha in {${SWEEP_ALPHA.join(", ")}} × --redundancy in {${SWEEP_K.join(", ")}}, --tasks ${c.sweepTasks}`;
  const repCommand = `the same flags with --seat-weight in {${SEAT_WEIGHTS.join(", ")}} × --seed in {${c.seed}-1 … ${c.seed}-${c.replicates}}, --tasks ${c.compareTasks}, --newcomers ${COMPARE_NEWCOMERS}`;
  await writeReport(report, command, {
    write: c.write,
    sweep: points,
    sweepCommand,
    reputation: rep,
    reputationCommand: repCommand,
  });
  if (c.json)
    writeFileSync(
      c.json,
      JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    );
}
