/**
 * garbage sealer: commits and reveals the right hash but seals garbage for the requester (the
 * residual of v4: the requester cannot tell a bad seal from a bad answer, disputes, and its bond
 * goes to the jury when everybody revealed the right hash).
 */
import type { NodeStrategy } from "./types.ts";

export const garbage: NodeStrategy = {
  name: "garbage",
  answer: (t) => ({ label: t.truth, seal: "garbage", reveal: true }),
};
