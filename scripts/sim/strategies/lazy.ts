/**
 * lazy: takes every place it is given without running the model: a guessed commitment under a seal
 * that cannot open (it has no output to seal), and it never reveals.
 */
import type { NodeStrategy } from "./types.ts";

export const lazy: NodeStrategy = {
  name: "lazy",
  answer: (t) => ({ label: `guess:${t.id}:${t.node}`, seal: "garbage", reveal: false }),
};
