import { CliError, type CliCommand } from "../types.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { formatRoles, nodeStatus, parseRoles, stake } from "../../sdk/staking.ts";
import { commonHelp, connectCli, parseCli, runCli } from "../options.ts";

const help = `Usage: omnitensor node stake [--amount <OMNIT>] --roles <compute|validator|compute,validator> [--metadata <uri>]

Registers your account as a node, or tops up its stake, and sets its roles. A node is active once
its stake reaches minStake (omnitensor deployment show); a role counts for tasks created after it
was set. Approves NodeStaking for the amount first when needed.

Options:
  --amount <OMNIT>      OMNIT to add to the stake, e.g. 10000 (not wei); without it (a node
                        that has stake), only the roles change
  --roles <roles>       compute, validator, or compute,validator ("verifier" is accepted
                        for validator: the same role)
  --metadata <uri>      a URI describing the node (optional; the current one is kept)

${commonHelp("node")}

Example:
  NODE_PRIVATE_KEY=0x… omnitensor node stake --amount 10000 --roles compute,validator`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values } = parseCli(
        argv,
        { amount: { type: "string" }, roles: { type: "string" }, metadata: { type: "string" } },
        help,
      );
      const amount = values.amount ?? "0";
      if (!values.roles) throw new CliError(`--roles is required\n\n${help}`, 2);
      const roles = parseRoles(values.roles);
      const ctx = await connectCli(values, true, "node");
      const receipt = await stake(ctx, { amount, roles, metadataURI: values.metadata });
      const s = await nodeStatus(ctx, ctx.walletClient!.account.address);
      console.log(
        amount === "0"
          ? `roles set to ${formatRoles(roles)}`
          : `staked ${amount} OMNIT as ${formatRoles(roles)}`,
      );
      console.log(
        `  node ${s.node}: stake ${formatOmnit(s.stake)} OMNIT, ${s.active ? "active" : `inactive (minStake is ${formatOmnit(s.minStake)} OMNIT)`}`,
      );
      console.log(`  transaction: ${receipt.transactionHash}`);
      return 0;
    }),
};
export default command;
