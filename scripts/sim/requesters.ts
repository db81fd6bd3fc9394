/**
 * Requester strategies: when each disputes, given the sealed outputs it opened (the SDK's
 * CommitmentReport, checked against the on-chain commitment as the SDK does) and the SDK's rule
 * `outputsDisagree` (workers/src/sdk/waitForResult.ts).
 *
 * - sdk: the SDK's rule: dispute when an output fails to open or to match its commitment, or two differ;
 * - canary: a known-answer requester paid from the verification pool (spendPool): the SDK's rule, and
 *   also when any output differs from the answer it knows;
 * - griefer: disputes every task, whatever the outputs (it pays a dispute bond each time);
 * - self: the self-disputer's requester account: disputes its own tasks (profit counted with its node).
 */
import type { Hex } from "viem";
import { outputsDisagree } from "../../workers/src/sdk/waitForResult.ts";
import type { CommitmentReport } from "../../workers/src/sdk/watchCommitments.ts";

export const REQUESTER_KINDS = ["sdk", "canary", "griefer", "self"] as const;
export type RequesterKind = (typeof REQUESTER_KINDS)[number];

export function wantsDispute(kind: RequesterKind, reports: readonly CommitmentReport[], truth: Hex): boolean {
  switch (kind) {
    case "sdk":
      return outputsDisagree(reports);
    case "canary":
      return outputsDisagree(reports) || reports.some((r) => r.outputHash !== truth);
    case "griefer":
    case "self":
      return true;
  }
}
