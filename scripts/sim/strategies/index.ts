/** The node strategies by name (--mix name=share,...). */
import { absentJuror } from "./absentJuror.ts";
import { cheater } from "./cheater.ts";
import { colluder } from "./colluder.ts";
import { garbage } from "./garbage.ts";
import { honest } from "./honest.ts";
import { lazy } from "./lazy.ts";
import { selfDisputer } from "./selfDisputer.ts";
import type { NodeStrategy } from "./types.ts";

export type { Answer, NodeStrategy, Place, TaskView } from "./types.ts";

export const NODE_STRATEGIES = [
  "honest",
  "cheater",
  "lazy",
  "garbage",
  "colluder",
  "absentJuror",
  "selfDisputer",
  "newcomer",
] as const;
export type NodeStrategyName = (typeof NODE_STRATEGIES)[number];

export function nodeStrategy(name: NodeStrategyName, opts: { cheatRate: number }): NodeStrategy {
  switch (name) {
    case "honest":
      return honest;
    case "newcomer": // honest, staking only from the second round (--newcomers)
      return { ...honest, name: "newcomer" };
    case "cheater":
      return cheater(opts.cheatRate);
    case "lazy":
      return lazy;
    case "garbage":
      return garbage;
    case "colluder":
      return colluder;
    case "absentJuror":
      return absentJuror;
    case "selfDisputer":
      return selfDisputer;
  }
}
