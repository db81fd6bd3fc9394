import { omniGovernorAbi } from "../../chain/abis.ts";
import { sendTx } from "../../sdk/context.ts";
import { CliError, type CliCommand } from "../types.ts";
import { COMMON_HELP, connectCli, parseCli, runCli } from "../options.ts";
import {
  GOVERNOR_ABI,
  SUPPORT,
  explainRevert,
  governanceOf,
  parseProposalId,
  stateOf,
  votes,
} from "./gov-lib.ts";

const help = `Usage: omnitensor gov vote --id <proposalId> --support for|against|abstain [--reason <text>]

Casts your vote on an Active proposal with the votes delegated to you at its snapshot block
(delegate before a proposal is made: \`gov delegate\`). One vote per account. A proposal passes
when, at the end of the vote, for > against and for + abstain reach the quorum.

Options:
  --id <proposalId>     the id \`gov propose\` printed
  --support <choice>    for, against or abstain
  --reason <text>       optional, recorded in the VoteCast event

${COMMON_HELP}

Example:
  omnitensor gov vote --id 1234… --support for`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const opts = {
        id: { type: "string" },
        support: { type: "string" },
        reason: { type: "string" },
      } as const;
      const { values } = parseCli(argv, opts, help);
      if (!values.id || !values.support) throw new CliError(`--id and --support are required\n\n${help}`, 2);
      const support = SUPPORT[values.support.toLowerCase() as keyof typeof SUPPORT];
      if (support === undefined)
        throw new CliError(`--support: "${values.support}" must be for, against or abstain`, 2);
      const id = parseProposalId(values.id);
      const ctx = await connectCli(values, true, "requester");
      const { governor } = governanceOf(ctx);
      const me = ctx.walletClient!.account.address;
      const gov = { address: governor, abi: omniGovernorAbi } as const;
      const read = ctx.publicClient.readContract;
      const state = await stateOf(ctx, governor, id);
      const snapshot = await read({ ...gov, functionName: "proposalSnapshot", args: [id] });
      if (state === "Pending")
        throw new CliError(
          `proposal ${id} is Pending: voting opens after block ${snapshot} (now ${await ctx.publicClient.getBlockNumber()})`,
        );
      if (state !== "Active") throw new CliError(`proposal ${id} is ${state}: its vote is over`);
      if (await read({ ...gov, functionName: "hasVoted", args: [id, me] }))
        throw new CliError(`${me} has voted on proposal ${id} already`);
      const weight = await read({ ...gov, functionName: "getVotes", args: [me, snapshot] });
      if (weight === 0n)
        throw new CliError(
          `${me} had no votes at the proposal's snapshot (block ${snapshot}): OMNIT votes once delegated ` +
            `(omnitensor gov delegate), and only for proposals made after the delegation`,
        );
      const g = { address: governor, abi: GOVERNOR_ABI } as const;
      const receipt = await explainRevert("castVote", () =>
        values.reason
          ? sendTx(ctx, { ...g, functionName: "castVoteWithReason", args: [id, support, values.reason!] })
          : sendTx(ctx, { ...g, functionName: "castVote", args: [id, support] }),
      );
      const [against, forVotes, abstain] = await read({ ...gov, functionName: "proposalVotes", args: [id] });
      console.log(`voted ${values.support.toLowerCase()} on proposal ${id} with ${votes(weight)}`);
      console.log(`  tally: for ${votes(forVotes)}, against ${votes(against)}, abstain ${votes(abstain)}`);
      console.log(`  transaction: ${receipt.transactionHash}`);
      return 0;
    }),
};
export default command;
