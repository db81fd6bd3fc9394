/** What a node strategy decides, place by place: what it commits, how it seals it, whether it reveals. */
import type { Address } from "viem";

/** 1 seat, 2 sampled verifier, 3 juror (PROTOCOL.md §4.5). */
export type Place = 1 | 2 | 3;

/** A task as a node sees it in the simulation: synthetic outputs are labels, their hash the output hash. */
export interface TaskView {
  id: bigint;
  node: Address;
  /** The label an honest run of the model gives. */
  truth: string;
  /** The wrong label the colluders agree on for this task. */
  collusion: string;
  /** The simulation's seeded random stream (the same seed gives the same run). */
  rng: () => number;
}

/** One commitment: the label whose hash it commits, whether its seal opens, whether the node reveals it. */
export interface Answer {
  label: string;
  seal: "ok" | "garbage";
  reveal: boolean;
}

export interface NodeStrategy {
  name: string;
  /** What the node commits in that place; undefined: it does not commit. */
  answer(t: TaskView, place: Place): Answer | undefined;
}

export const honestAnswer = (t: TaskView): Answer => ({ label: t.truth, seal: "ok", reveal: true });
