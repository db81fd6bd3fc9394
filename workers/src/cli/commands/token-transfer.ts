import { formatEther } from "viem";
import { CliError, type CliCommand } from "../types.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { omnitBalance, transferOmnit } from "../../sdk/actions.ts";
import { COMMON_HELP, connectCli, parseAddress, parseCli, runCli } from "../options.ts";

const help = `Usage: omnitensor token transfer <to> <amount>

Sends <amount> OMNIT (not wei) from your account to <to>: for example to fund a node key before
it stakes (a node also needs native coin for gas: send that with your wallet, or on a local
chain use \`omnitensor dev faucet\`). Checks your balance first.

${COMMON_HELP}

Example:
  REQUESTER_PRIVATE_KEY=0x… omnitensor token transfer 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 20000`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCli(argv, {}, help, true);
      if (positionals.length !== 2) throw new CliError(`give <to> and <amount>\n\n${help}`, 2);
      const to = parseAddress("<to>", positionals[0]);
      const ctx = await connectCli(values, true, "requester");
      const { amount, receipt } = await transferOmnit(ctx, to, positionals[1]);
      const [toBal, toGas, mine] = await Promise.all([
        omnitBalance(ctx, to),
        ctx.publicClient.getBalance({ address: to }),
        omnitBalance(ctx, ctx.walletClient!.account.address),
      ]);
      console.log(`sent ${formatOmnit(amount)} OMNIT to ${to}`);
      console.log(
        `  ${to} now holds ${formatOmnit(toBal)} OMNIT and ${formatEther(toGas)} native coin (gas)`,
      );
      console.log(`  you hold ${formatOmnit(mine)} OMNIT`);
      console.log(`  transaction: ${receipt.transactionHash}`);
      if (toGas === 0n)
        console.log(
          "  note: the recipient has no native coin: it cannot send a transaction (stake) until it gets gas",
        );
      return 0;
    }),
};
export default command;
