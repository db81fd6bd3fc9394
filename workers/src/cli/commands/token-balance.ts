import { formatEther } from "viem";
import { CliError, type CliCommand } from "../types.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { omnitBalance } from "../../sdk/actions.ts";
import { COMMON_HELP, connectCli, parseAddress, parseCli, printJson, runCli } from "../options.ts";

const help = `Usage: omnitensor token balance [<address>] [--json]

Shows an account's OMNIT and native-coin (gas) balances. Without an address, the key's account
(--key, else $REQUESTER_PRIVATE_KEY, else $PRIVATE_KEY). Reads only.

Options:
  --json                print as JSON

${COMMON_HELP}

Example:
  omnitensor token balance 0x70997970C51812dc3A010C7d01b50e0d17dc79C8`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCli(argv, { json: { type: "boolean" } }, help, true);
      const ctx = await connectCli(values, false, "requester");
      const who = positionals[0]
        ? parseAddress("address", positionals[0])
        : ctx.walletClient?.account.address;
      if (!who) throw new CliError(`give an address, or a key for your own account\n\n${help}`, 2);
      const [omnit, gas] = await Promise.all([
        omnitBalance(ctx, who),
        ctx.publicClient.getBalance({ address: who }),
      ]);
      if (values.json) printJson({ address: who, omnit, native: gas });
      else console.log(`${who}: ${formatOmnit(omnit)} OMNIT, ${formatEther(gas)} native coin (gas)`);
      return 0;
    }),
};
export default command;
