import { formatEther } from "viem";
import type { CliCommand } from "../types.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { formatRoles, nodeStatus } from "../../sdk/staking.ts";
import { commonHelp, connectCli, isoTime, parseAddress, parseCli, printJson, runCli } from "../options.ts";
import { CliError } from "../types.ts";

const help = `Usage: omnitensor node status [<address>] [--json]

Shows a node's stake, bonds locked by open commitments, roles, whether it is active, unbonding,
its OMNIT and gas balances and its credit in the TaskManager. Without an address, the key's account.

Options:
  --json                print as JSON

${commonHelp("node")}

Example:
  omnitensor node status 0x70997970C51812dc3A010C7d01b50e0d17dc79C8`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCli(argv, { json: { type: "boolean" } }, help, true);
      const ctx = await connectCli(values, false, "node");
      let node;
      if (positionals[0]) node = parseAddress("address", positionals[0]);
      else if (ctx.walletClient) node = ctx.walletClient.account.address;
      else
        throw new CliError(
          `give an address, or a key (NODE_PRIVATE_KEY, PRIVATE_KEY or --key) for your own node\n\n${help}`,
          2,
        );
      const [s, gas] = await Promise.all([
        nodeStatus(ctx, node),
        ctx.publicClient.getBalance({ address: node }),
      ]);
      if (values.json) {
        printJson({ ...s, nativeBalance: gas });
        return 0;
      }
      console.log(
        [
          `node ${s.node}: ${s.active ? `active since ${isoTime(s.activeSince)}` : s.stake > 0n ? "inactive (stake below minStake)" : "not staked"}`,
          `  roles:     ${formatRoles(s.roles)}`,
          `  stake:     ${formatOmnit(s.stake)} OMNIT (minStake ${formatOmnit(s.minStake)})`,
          `  locked:    ${formatOmnit(s.locked)} OMNIT in bonds of open commitments; unlocked ${formatOmnit(s.unlocked)}`,
          `  unbonding: ${formatOmnit(s.unbonding)} OMNIT${s.unbonding > 0n ? `, withdrawable from ${isoTime(s.unbondingReleaseTime)}` : ""}`,
          `  wallet:    ${formatOmnit(s.walletBalance)} OMNIT, ${formatEther(gas)} native coin (gas)`,
          `  credit:    ${formatOmnit(s.credit)} OMNIT to withdraw from the TaskManager`,
          ...(s.metadataURI ? [`  metadata:  ${s.metadataURI}`] : []),
        ].join("\n"),
      );
      return 0;
    }),
};
export default command;
