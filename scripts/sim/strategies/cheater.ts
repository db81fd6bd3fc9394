/** cheater: commits a wrong hash of its own (it skips the run) at `rate`, otherwise behaves honestly. */
import { honestAnswer, type NodeStrategy } from "./types.ts";

export function cheater(rate: number): NodeStrategy {
  return {
    name: "cheater",
    answer: (t) =>
      t.rng() < rate ? { label: `cheat:${t.id}:${t.node}`, seal: "ok", reveal: true } : honestAnswer(t),
  };
}
