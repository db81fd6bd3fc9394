import type { Address } from "viem";
import { omniTokenAbi } from "../../chain/abis.ts";
import { sendTx } from "../../sdk/context.ts";
import type { CliCommand } from "../types.ts";
import { CliError } from "../types.ts";
import { COMMON_HELP, connectCli, parseAddress, parseCli, runCli } from "../options.ts";
import { votes } from "./gov-lib.ts";

const help = `Usage: omnitensor gov delegate [<to>]

Delegates the votes of your OMNIT to <to> (default: yourself). OMNIT votes only once delegated
(ERC20Votes): a holder who never delegated has no votes, even to vote on its own proposal.
Delegation takes effect from the next block and counts for proposals whose vote snapshot is
after it: delegate before a proposal is made. Your balance stays yours; a later transfer moves
its votes with it.

${COMMON_HELP}

Example:
  REQUESTER_PRIVATE_KEY=0x… omnitensor gov delegate`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCli(argv, {}, help, true);
      if (positionals.length > 1) throw new CliError(`give at most one address\n\n${help}`, 2);
      const ctx = await connectCli(values, true, "requester");
      const me = ctx.walletClient!.account.address;
      const to: Address = positionals[0] ? parseAddress("<to>", positionals[0]) : me;
      const token = { address: ctx.deployment.contracts.OmniToken, abi: omniTokenAbi } as const;
      const balance = await ctx.publicClient.readContract({
        ...token,
        functionName: "balanceOf",
        args: [me],
      });
      const receipt = await sendTx(ctx, { ...token, functionName: "delegate", args: [to] });
      const power = await ctx.publicClient.readContract({ ...token, functionName: "getVotes", args: [to] });
      console.log(`delegated the votes of ${me} (${votes(balance)}) to ${to === me ? "yourself" : to}`);
      console.log(`  ${to} now has ${votes(power)} of votes`);
      console.log(`  transaction: ${receipt.transactionHash}`);
      if (balance === 0n)
        console.log("  note: you hold no OMNIT: the delegation carries no votes until you do");
      return 0;
    }),
};
export default command;
