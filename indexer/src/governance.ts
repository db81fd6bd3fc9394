/** OmniGovernor and its TimelockController: proposals, votes, governance parameters. */
import { proposal } from "ponder:schema";
import type { Handlers } from "./handlers.ts";
import { lower, type Ctx } from "./lib.ts";
import { setParameter } from "./params.ts";

const VOTE_FIELD = { 0: "againstVotes", 1: "forVotes", 2: "abstainVotes" } as const;

async function vote(context: Ctx, proposalId: bigint, support: number, weight: bigint): Promise<void> {
  const field = VOTE_FIELD[support as 0 | 1 | 2];
  const id = String(proposalId);
  if (!field || !(await context.db.find(proposal, { id }))) return;
  await context.db.update(proposal, { id }).set((row) => ({ [field]: row[field] + weight }));
}

async function setState(context: Ctx, proposalId: bigint, state: string): Promise<void> {
  const id = String(proposalId);
  if (await context.db.find(proposal, { id })) await context.db.update(proposal, { id }).set({ state });
}

export const governanceHandlers: Handlers = {
  "OmniGovernor:ProposalCreated": async ({ event, context }) => {
    const a = event.args;
    await context.db.insert(proposal).values({
      id: String(a.proposalId),
      proposer: lower(a.proposer),
      description: a.description,
      state: "Pending",
      voteStart: a.voteStart,
      voteEnd: a.voteEnd,
      forVotes: 0n,
      againstVotes: 0n,
      abstainVotes: 0n,
      createdAt: event.block.timestamp,
      tx: event.transaction.hash,
    });
  },
  "OmniGovernor:VoteCast": async ({ event, context }) =>
    vote(context, event.args.proposalId, event.args.support, event.args.weight),
  "OmniGovernor:VoteCastWithParams": async ({ event, context }) =>
    vote(context, event.args.proposalId, event.args.support, event.args.weight),
  "OmniGovernor:ProposalQueued": async ({ event, context }) =>
    setState(context, event.args.proposalId, "Queued"),
  "OmniGovernor:ProposalExecuted": async ({ event, context }) =>
    setState(context, event.args.proposalId, "Executed"),
  "OmniGovernor:ProposalCanceled": async ({ event, context }) =>
    setState(context, event.args.proposalId, "Canceled"),
  "OmniGovernor:VotingDelaySet": async ({ event, context }) =>
    setParameter(context, event, "OmniGovernor", "votingDelay", event.args.newVotingDelay),
  "OmniGovernor:VotingPeriodSet": async ({ event, context }) =>
    setParameter(context, event, "OmniGovernor", "votingPeriod", event.args.newVotingPeriod),
  "OmniGovernor:ProposalThresholdSet": async ({ event, context }) =>
    setParameter(context, event, "OmniGovernor", "proposalThreshold", event.args.newProposalThreshold),
  "OmniGovernor:QuorumNumeratorUpdated": async ({ event, context }) =>
    setParameter(context, event, "OmniGovernor", "quorumNumerator", event.args.newQuorumNumerator),
  "OmniGovernor:TimelockChange": async ({ event, context }) =>
    setParameter(context, event, "OmniGovernor", "timelock", lower(event.args.newTimelock)),
  "TimelockController:MinDelayChange": async ({ event, context }) =>
    setParameter(context, event, "TimelockController", "minDelay", event.args.newDuration),
};
