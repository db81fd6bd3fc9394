import { CliError, type CliCommand } from "../types.ts";
import { parseDuration, rawRpc, requireLocalChain } from "../devnet.ts";
import { isoTime, parseCli } from "../options.ts";

const help = `Usage: omnitensor dev advance <duration> [--rpc <url>]

Local development chains only (chain id 31337 or 1337): moves the chain's clock forward by
<duration> (evm_increaseTime) and mines one block (evm_mine), so that a task passes its 24-hour
windows in seconds. Refuses any other chain. Signs nothing.

<duration> is e.g. 5h, 90m, 1d12h, 30s, or a number of seconds. A task's windows (default
parameters): seats 0-5 h, disputes until 11 h, commits until 20 h, reveals 20-24 h.

Options:
  --rpc <url>           JSON-RPC endpoint (default: $RPC_URL, else http://127.0.0.1:8545)

Example:
  omnitensor dev advance 20h`;

const command: CliCommand = {
  help,
  async run(argv) {
    const { values, positionals } = parseCli(argv, {}, help, true);
    if (positionals.length !== 1) throw new CliError(`give one duration, e.g. 5h\n\n${help}`, 2);
    const seconds = parseDuration(positionals[0]);
    if (seconds <= 0) throw new CliError("the duration must be more than 0 seconds", 2);
    const url = values.rpc ?? process.env.RPC_URL ?? "http://127.0.0.1:8545";
    await requireLocalChain(url, "dev advance");
    await rawRpc(url, "evm_increaseTime", [seconds]);
    await rawRpc(url, "evm_mine", []);
    const block = (await rawRpc(url, "eth_getBlockByNumber", ["latest", false])) as {
      number: string;
      timestamp: string;
    };
    console.log(
      `advanced the clock by ${seconds} s: block ${BigInt(block.number)} at ${isoTime(BigInt(block.timestamp))}`,
    );
    return 0;
  },
};
export default command;
