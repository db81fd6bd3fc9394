/** The simulation's flags (npm run sim -- --help). */
import { parseEther } from "viem";
import { NODE_STRATEGIES, type NodeStrategyName } from "./strategies/index.ts";
import { REQUESTER_KINDS, type RequesterKind } from "./requesters.ts";
import { SEAT_WEIGHTS, type SeatWeight } from "./reputation.ts";

/** TaskManager parameters the simulation may set (PROTOCOL.md §3), by setter name without `set`. */
export const PARAMS = [
  "seatFactor",
  "expectedVerifiers",
  "jurySize",
  "minCommitBond",
  "bondMultiplier",
  "slashBps",
  "noRevealSlashBps",
  "liquidatorBountyBps",
  "verifierFeeBps",
] as const;
export type ParamName = (typeof PARAMS)[number];

export interface SimConfig {
  nodes: number;
  tasks: number;
  /** Tasks per round (a round is one task life: about a day of chain time). */
  batch: number;
  alpha: number;
  /** Shares of the non-colluding nodes by strategy (normalized; honest takes what is left). */
  mix: Partial<Record<NodeStrategyName, number>>;
  /** Shares of tasks by requester kind (normalized). */
  requesters: Partial<Record<RequesterKind, number>>;
  redundancy: number;
  reward: bigint;
  royaltyBps: number;
  stake: bigint;
  cheatRate: number;
  params: Partial<Record<ParamName, bigint>>;
  gasPriceGwei: number;
  /** ETH per OMNIT: converts gas (ETH) into OMNIT. */
  omnitPriceEth: number;
  seed: string;
  small: boolean;
  sweep: boolean;
  /** Tasks of each sweep run. */
  sweepTasks: number;
  write: boolean;
  quiet: boolean;
  /** How seats are weighted by `reputationOf` (scripts/sim/reputation.ts); "none" is today's sortition. */
  seatWeight: SeatWeight;
  /** Honest nodes that stake only at the start of the second round (how fast a new node earns). */
  newcomers: number;
  /** Also run the reputation comparison: every seat weighting on --replicates seeds. */
  compareReputation: boolean;
  /** Seeds per variant of the reputation comparison. */
  replicates: number;
  /** Tasks of each run of the reputation comparison. */
  compareTasks: number;
  /** Also write the report as JSON to this file (the test reads it). */
  json?: string;
}

export const DEFAULTS: SimConfig = {
  nodes: 200,
  tasks: 1000,
  batch: 200,
  alpha: 0.2,
  mix: { cheater: 0.05, lazy: 0.03, garbage: 0.03, absentJuror: 0.05, selfDisputer: 0.03 },
  requesters: { sdk: 0.88, canary: 0.05, griefer: 0.03, self: 0.04 },
  redundancy: 2,
  reward: parseEther("10"),
  royaltyBps: 500,
  stake: parseEther("50000"),
  cheatRate: 0.5,
  params: {},
  gasPriceGwei: 0.05,
  omnitPriceEth: 0.0001,
  seed: "omnitensor",
  small: false,
  sweep: false,
  sweepTasks: 200,
  write: true,
  quiet: false,
  seatWeight: "none",
  newcomers: 0,
  compareReputation: false,
  replicates: 3,
  compareTasks: 400,
};

/** Newcomers of each run of the reputation comparison. */
export const COMPARE_NEWCOMERS = 10;

export const SMALL: Partial<SimConfig> = { nodes: 24, tasks: 60, batch: 60, write: false };

export const HELP = `npm run sim -- [flags]
  --nodes N          nodes (>= 20), every one staked with both roles     (default ${DEFAULTS.nodes})
  --tasks N          tasks in all                                         (default ${DEFAULTS.tasks})
  --batch N          tasks per round (one task life, about a chain day)   (default ${DEFAULTS.batch})
  --alpha A          share of colluding nodes                             (default ${DEFAULTS.alpha})
  --mix s=x,...      shares of the other nodes: ${NODE_STRATEGIES.filter((s) => s !== "colluder" && s !== "honest" && s !== "newcomer").join(", ")} (honest: the rest)
  --requesters k=x,.. shares of tasks by requester: ${REQUESTER_KINDS.join(", ")}
  --redundancy K     seats per task                                       (default ${DEFAULTS.redundancy})
  --reward OMNIT     reward per task                                      (default 10)
  --stake OMNIT      stake per node                                       (default 50000)
  --cheat-rate R     how often a cheater commits a wrong hash             (default ${DEFAULTS.cheatRate})
  --<param> V        a TaskManager parameter: ${PARAMS.join(", ")} (amounts in OMNIT)
  --gas-price GWEI   gas price                                            (default ${DEFAULTS.gasPriceGwei})
  --omnit-price ETH  ETH per OMNIT                                        (default ${DEFAULTS.omnitPriceEth})
  --seed S           random seed                                          (default ${DEFAULTS.seed})
  --small            CI size (${SMALL.nodes} nodes, ${SMALL.tasks} tasks, no docs written)
  --sweep            also sweep alpha x redundancy (small runs) into the report
  --sweep-tasks N    tasks of each sweep run                              (default 200)
  --seat-weight W    seats weighted by reputationOf: ${SEAT_WEIGHTS.join(", ")} (default none: today's)
  --newcomers N      honest nodes that join at the start of the second round  (default 0)
  --compare-reputation  also compare the seat weightings (--replicates seeds, --compare-tasks tasks,
                     ${COMPARE_NEWCOMERS} newcomers each) into the report
  --replicates N     seeds per weighting in the comparison                (default ${DEFAULTS.replicates})
  --compare-tasks N  tasks of each comparison run                         (default ${DEFAULTS.compareTasks})
  --no-write         do not write docs/economics.md
  --json FILE        also write the report as JSON to FILE`;

function shares<K extends string>(flag: string, s: string, names: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const part of s.split(",").filter(Boolean)) {
    const [k, v] = part.split("=");
    if (!names.includes(k as K)) throw new Error(`${flag}: unknown name ${k} (one of ${names.join(", ")})`);
    const x = Number(v);
    if (!(x >= 0 && x <= 1)) throw new Error(`${flag}: share of ${k} must be in [0, 1], got ${v}`);
    out[k as K] = x;
  }
  return out;
}

const num = (flag: string, v: string | undefined, min: number, max = Infinity): number => {
  const x = Number(v);
  if (v === undefined || !Number.isFinite(x) || x < min || x > max)
    throw new Error(`${flag} must be a number in [${min}, ${max}], got ${v}`);
  return x;
};

function applyFlag(c: SimConfig, flag: string, v: string | undefined): boolean {
  const name = flag.slice(2).replace(/-([a-z])/g, (_m, l: string) => l.toUpperCase());
  if ((PARAMS as readonly string[]).includes(name)) {
    const amount = name === "minCommitBond" ? parseEther(String(num(flag, v, 0))) : BigInt(num(flag, v, 0));
    c.params[name as ParamName] = amount;
    return true;
  }
  const set: Record<string, () => void> = {
    nodes: () => (c.nodes = num(flag, v, 20)),
    tasks: () => (c.tasks = num(flag, v, 1)),
    batch: () => (c.batch = num(flag, v, 1)),
    alpha: () => (c.alpha = num(flag, v, 0, 0.95)),
    mix: () => (c.mix = shares(flag, v ?? "", NODE_STRATEGIES)),
    requesters: () => (c.requesters = shares(flag, v ?? "", REQUESTER_KINDS)),
    redundancy: () => (c.redundancy = num(flag, v, 1, 10)),
    reward: () => (c.reward = parseEther(String(num(flag, v, 0)))),
    stake: () => (c.stake = parseEther(String(num(flag, v, 0)))),
    cheatRate: () => (c.cheatRate = num(flag, v, 0, 1)),
    gasPrice: () => (c.gasPriceGwei = num(flag, v, 0)),
    omnitPrice: () => (c.omnitPriceEth = num(flag, v, 1e-18)),
    seed: () => (c.seed = v ?? ""),
    sweepTasks: () => (c.sweepTasks = num(flag, v, 1)),
    seatWeight: () => {
      if (!SEAT_WEIGHTS.includes(v as SeatWeight))
        throw new Error(`${flag} must be one of ${SEAT_WEIGHTS.join(", ")}, got ${v}`);
      c.seatWeight = v as SeatWeight;
    },
    newcomers: () => (c.newcomers = num(flag, v, 0)),
    replicates: () => (c.replicates = num(flag, v, 1)),
    compareTasks: () => (c.compareTasks = num(flag, v, 1)),
    json: () => (c.json = v),
  };
  if (!set[name]) throw new Error(`unknown flag ${flag} (see --help)`);
  set[name]();
  return true;
}

/** Parses argv (without node and script); throws on an unknown flag or a bad value. */
export function parseArgs(argv: string[]): SimConfig | "help" {
  const c: SimConfig = {
    ...DEFAULTS,
    params: {},
    mix: { ...DEFAULTS.mix },
    requesters: { ...DEFAULTS.requesters },
  };
  if (argv.includes("--small")) Object.assign(c, SMALL, { small: true });
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    if (f === "--help" || f === "-h") return "help";
    if (f === "--small") continue;
    if (f === "--sweep") c.sweep = true;
    else if (f === "--compare-reputation") c.compareReputation = true;
    else if (f === "--no-write") c.write = false;
    else if (f === "--quiet") c.quiet = true;
    else if (f.startsWith("--") && applyFlag(c, f, argv[i + 1])) i++;
    else throw new Error(`unexpected argument ${f} (see --help)`);
  }
  return c;
}
