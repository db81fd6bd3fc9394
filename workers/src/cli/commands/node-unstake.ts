import { CliError, type CliCommand } from "../types.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { nodeStatus, requestUnstake, withdrawUnbonded } from "../../sdk/staking.ts";
import { commonHelp, connectCli, isoTime, parseCli, runCli } from "../options.ts";

const help = `Usage: omnitensor node unstake --amount <OMNIT>
       omnitensor node unstake --withdraw

Moves unlocked stake to unbonding (it stops counting as stake at once and can be withdrawn after
the unbonding period; each request restarts the release time of the whole unbonding amount), or,
with --withdraw, pays out what has finished unbonding.

Options:
  --amount <OMNIT>      OMNIT to unstake, e.g. 500 (not wei)
  --withdraw            withdraw the unbonded amount once its release time has passed

${commonHelp("node")}

Example:
  NODE_PRIVATE_KEY=0x… omnitensor node unstake --amount 500`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values } = parseCli(argv, { amount: { type: "string" }, withdraw: { type: "boolean" } }, help);
      if (!values.amount === !values.withdraw)
        throw new CliError(`give either --amount or --withdraw\n\n${help}`, 2);
      const ctx = await connectCli(values, true, "node");
      const me = ctx.walletClient!.account.address;
      if (values.withdraw) {
        const before = await nodeStatus(ctx, me);
        if (before.unbonding === 0n)
          throw new CliError("nothing is unbonding: request it first with --amount");
        const now = (await ctx.publicClient.getBlock()).timestamp;
        if (now < before.unbondingReleaseTime)
          throw new CliError(
            `${formatOmnit(before.unbonding)} OMNIT unbonds at ${isoTime(before.unbondingReleaseTime)}; withdraw after that`,
          );
        const receipt = await withdrawUnbonded(ctx);
        console.log(`withdrew ${formatOmnit(before.unbonding)} OMNIT of unbonded stake`);
        console.log(`  transaction: ${receipt.transactionHash}`);
        return 0;
      }
      const receipt = await requestUnstake(ctx, values.amount!);
      const s = await nodeStatus(ctx, me);
      console.log(
        `unbonding ${formatOmnit(s.unbonding)} OMNIT, withdrawable from ${isoTime(s.unbondingReleaseTime)}`,
      );
      console.log(`  stake left: ${formatOmnit(s.stake)} OMNIT (${s.active ? "active" : "inactive"})`);
      console.log(`  transaction: ${receipt.transactionHash}`);
      return 0;
    }),
};
export default command;
