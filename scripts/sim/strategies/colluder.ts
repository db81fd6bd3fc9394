/**
 * colluder: one of a share α of the nodes (compute and validator) that all commit the same wrong
 * hash, sealed properly so that a requester sees agreement, in every place, and vote it as jurors.
 */
import type { NodeStrategy } from "./types.ts";

export const colluder: NodeStrategy = {
  name: "colluder",
  answer: (t) => ({ label: t.collusion, seal: "ok", reveal: true }),
};
