import { parseAbi, type Address } from "viem";
import { omniGovernorAbi, omniTokenAbi, taskManagerAbi, timelockControllerAbi } from "../../chain/abis.ts";
import type { OmniTensorContext } from "../../sdk/context.ts";
import type { CliCommand } from "../types.ts";
import { COMMON_HELP, connectCli, isoTime, parseCli, printJson, runCli } from "../options.ts";
import {
  describeCalls,
  findProposal,
  governanceOf,
  parseProposalId,
  stateOf,
  tallyOf,
  votes,
} from "./gov-lib.ts";

const help = `Usage: omnitensor gov status [--id <proposalId>] [--json]

Without --id: the governance of this deployment: the governor and timelock, the voting delay and
period (blocks), the proposal threshold, the quorum, who owns NodeStaking and TaskManager, the
verification pool, and (with a key) your OMNIT, votes and delegate.
With --id: the proposal's state, call, description, votes against the quorum, voting blocks,
eta once queued, and (with a key) whether you voted.

Options:
  --id <proposalId>     the id \`gov propose\` printed
  --json                print as JSON

${COMMON_HELP}

Example:
  omnitensor gov status --id 1234…`;

const ownerAbi = parseAbi(["function owner() view returns (address)"]);

/** The governance overview. */
async function overview(ctx: OmniTensorContext, governor: Address, timelock: Address, me?: Address) {
  const pc = ctx.publicClient;
  const gov = { address: governor, abi: omniGovernorAbi } as const;
  const token = { address: ctx.deployment.contracts.OmniToken, abi: omniTokenAbi } as const;
  const { TaskManager, NodeStaking } = ctx.deployment.contracts;
  const now = await pc.getBlockNumber();
  const out = {
    governor,
    timelock,
    timelockDelay: await pc.readContract({
      address: timelock,
      abi: timelockControllerAbi,
      functionName: "getMinDelay",
    }),
    votingDelay: await pc.readContract({ ...gov, functionName: "votingDelay" }),
    votingPeriod: await pc.readContract({ ...gov, functionName: "votingPeriod" }),
    proposalThreshold: await pc.readContract({ ...gov, functionName: "proposalThreshold" }),
    quorumPercent: await pc.readContract({ ...gov, functionName: "quorumNumerator" }),
    quorum: await pc.readContract({ ...gov, functionName: "quorum", args: [now - 1n] }),
    owners: {
      TaskManager: await pc.readContract({ address: TaskManager, abi: ownerAbi, functionName: "owner" }),
      NodeStaking: await pc.readContract({ address: NodeStaking, abi: ownerAbi, functionName: "owner" }),
    },
    verificationPool: await pc.readContract({
      address: TaskManager,
      abi: taskManagerAbi,
      functionName: "verificationPool",
    }),
    you: me
      ? {
          address: me,
          balance: await pc.readContract({ ...token, functionName: "balanceOf", args: [me] }),
          votes: await pc.readContract({ ...token, functionName: "getVotes", args: [me] }),
          delegate: await pc.readContract({ ...token, functionName: "delegates", args: [me] }),
        }
      : undefined,
  };
  return out;
}

function printOverview(o: Awaited<ReturnType<typeof overview>>): void {
  const owner = (a: Address) =>
    a === o.timelock ? `${a} (the timelock: governance)` : `${a} (not the timelock)`;
  console.log(`governor ${o.governor}`);
  console.log(`timelock ${o.timelock}: delay ${o.timelockDelay} s`);
  console.log(`  voting: opens ${o.votingDelay} block(s) after a proposal, lasts ${o.votingPeriod} block(s)`);
  console.log(`  proposal threshold: ${votes(o.proposalThreshold)} of votes`);
  console.log(`  quorum: ${o.quorumPercent} % of the supply (${votes(o.quorum)}), for + abstain`);
  console.log(`  TaskManager owner: ${owner(o.owners.TaskManager)}`);
  console.log(`  NodeStaking owner: ${owner(o.owners.NodeStaking)}`);
  console.log(`  verification pool: ${votes(o.verificationPool)} (spent only as credits, by spendPool)`);
  if (o.you)
    console.log(
      `  you ${o.you.address}: ${votes(o.you.balance)}, ${votes(o.you.votes)} of votes, delegate ${o.you.delegate}`,
    );
}

/** One proposal. */
async function proposal(ctx: OmniTensorContext, governor: Address, id: bigint, me?: Address) {
  const gov = { address: governor, abi: omniGovernorAbi } as const;
  const state = await stateOf(ctx, governor, id);
  const content = await findProposal(ctx, governor, id);
  const t = await tallyOf(ctx, governor, id);
  const eta = await ctx.publicClient.readContract({ ...gov, functionName: "proposalEta", args: [id] });
  const voted = me
    ? await ctx.publicClient.readContract({ ...gov, functionName: "hasVoted", args: [id, me] })
    : undefined;
  return {
    id,
    state,
    ...t,
    eta,
    content,
    calls: describeCalls(ctx, content),
    you: me ? { address: me, voted } : undefined,
  };
}

function printProposal(p: Awaited<ReturnType<typeof proposal>>): void {
  const reached = p.forVotes + p.abstain >= p.quorum;
  console.log(`proposal ${p.id}: ${p.state}`);
  console.log(`  description: ${p.content.description}`);
  for (const c of p.calls) console.log(`  call: ${c}`);
  console.log(`  votes: for ${votes(p.forVotes)}, against ${votes(p.against)}, abstain ${votes(p.abstain)}`);
  console.log(`  quorum: ${votes(p.quorum)} (${reached ? "reached" : "not reached"})`);
  console.log(`  voting: after block ${p.snapshot} until block ${p.deadline} (now ${p.now})`);
  if (p.eta > 0n) console.log(`  eta: ${isoTime(p.eta)} (${p.eta})`);
  if (p.you) console.log(`  you ${p.you.address}: ${p.you.voted ? "voted" : "not voted"}`);
}

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values } = parseCli(argv, { id: { type: "string" }, json: { type: "boolean" } }, help);
      const ctx = await connectCli(values, false, "requester");
      const { governor, timelock } = governanceOf(ctx);
      const me = ctx.walletClient?.account.address;
      if (values.id === undefined) {
        const o = await overview(ctx, governor, timelock, me);
        if (values.json) printJson(o);
        else printOverview(o);
        return 0;
      }
      const p = await proposal(ctx, governor, parseProposalId(values.id), me);
      if (values.json) printJson(p);
      else printProposal(p);
      return 0;
    }),
};
export default command;
