import { encodeFunctionData, formatEther, parseEther, toHex, type Address, type Hex } from "viem";
import { CliError, type CliCommand } from "../types.ts";
import { omniTokenAbi, taskManagerAbi } from "../../chain/abis.ts";
import { formatOmnit, parseOmnit } from "../../sdk/amounts.ts";
import { omnitBalance } from "../../sdk/actions.ts";
import { firstSupported, rawRpc, requireLocalChain } from "../devnet.ts";
import type { OmniTensorContext } from "../../sdk/context.ts";
import { announceSigner, commonHelp, connectCli, parseAddress, parseCli, runCli } from "../options.ts";

const help = `Usage: omnitensor dev faucet <address> [--eth <ETH>] [--omnit <OMNIT>]

Local development chains only (chain id 31337 or 1337): gives <address> native coin for gas
(hardhat_setBalance / anvil_setBalance / evm_setAccountBalance: its balance grows by --eth) and
OMNIT sent from the deployment's treasury account (the deployer on a local chain), which the
local chain lets this command sign for (hardhat_impersonateAccount / anvil_impersonateAccount).
No key of yours is used. Refuses any other chain: there, fund a key with
\`omnitensor token transfer\` and your wallet.

Options:
  --eth <ETH>           native coin to add (default 10)
  --omnit <OMNIT>       OMNIT to send (default 20000: minStake 10000 plus room for bonds)

${commonHelp("requester")}

Example:
  omnitensor dev faucet 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --omnit 20000`;

/** Adds `eth` to the address's native balance with the local chain's set-balance method. */
async function giveEth(ctx: OmniTensorContext, url: string, to: Address, eth: bigint): Promise<void> {
  const now = await ctx.publicClient.getBalance({ address: to });
  const target = toHex(now + eth);
  await firstSupported(url, [
    ["hardhat_setBalance", [to, target]],
    ["anvil_setBalance", [to, target]],
    ["evm_setAccountBalance", [to, target]],
  ]);
}

/** Sends OMNIT from the treasury, which the local chain lets us sign for (impersonation, or ganache's unlocked accounts). */
async function giveOmnit(ctx: OmniTensorContext, url: string, to: Address, omnit: bigint): Promise<void> {
  const treasury: Address = await ctx.publicClient.readContract({
    address: ctx.deployment.contracts.TaskManager,
    abi: taskManagerAbi,
    functionName: "treasury",
  });
  const have = await omnitBalance(ctx, treasury);
  if (have < omnit)
    throw new CliError(
      `the treasury ${treasury} holds ${formatOmnit(have)} OMNIT, less than --omnit ${formatOmnit(omnit)}`,
    );
  const impersonated = await firstSupported(url, [
    ["hardhat_impersonateAccount", [treasury]],
    ["anvil_impersonateAccount", [treasury]],
  ]).catch(() => undefined); // ganache: its own accounts are unlocked
  announceSigner(treasury, "the local chain's treasury account, no key needed");
  try {
    const hash = (await rawRpc(url, "eth_sendTransaction", [
      {
        from: treasury,
        to: ctx.deployment.contracts.OmniToken,
        data: encodeFunctionData({ abi: omniTokenAbi, functionName: "transfer", args: [to, omnit] }),
      },
    ])) as Hex;
    const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 200 });
    if (receipt.status !== "success") throw new CliError(`the OMNIT transfer ${hash} reverted`);
  } finally {
    if (impersonated)
      await rawRpc(url, impersonated.replace("impersonate", "stopImpersonating"), [treasury]).catch(
        () => undefined,
      );
  }
}

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCli(
        argv,
        { eth: { type: "string" }, omnit: { type: "string" } },
        help,
        true,
      );
      if (positionals.length !== 1) throw new CliError(`give one address\n\n${help}`, 2);
      const to = parseAddress("address", positionals[0]);
      const eth = values.eth === undefined ? parseEther("10") : parseOmnit("--eth", values.eth);
      const omnit = parseOmnit("--omnit", values.omnit ?? "20000");
      const url = values.rpc ?? process.env.RPC_URL ?? "http://127.0.0.1:8545";
      await requireLocalChain(url, "dev faucet");
      const ctx = await connectCli({ ...values, key: undefined }, false);
      if (eth > 0n) await giveEth(ctx, url, to, eth);
      if (omnit > 0n) await giveOmnit(ctx, url, to, omnit);
      const [gas, bal] = await Promise.all([
        ctx.publicClient.getBalance({ address: to }),
        omnitBalance(ctx, to),
      ]);
      console.log(`funded ${to}: now ${formatEther(gas)} ETH (gas) and ${formatOmnit(bal)} OMNIT`);
      return 0;
    }),
};
export default command;
