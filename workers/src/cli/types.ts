/**
 * A CLI command body: one file per command under workers/src/cli/commands/, named after the
 * command's words joined by "-" (`omnitensor model check` → `model-check.ts`). The command table
 * (cli/main.ts) holds each command's summary and loads its file only when it runs, so that the
 * list and `--help` load nothing heavy; a body imports its heavy modules (onnxruntime, BullMQ)
 * inside `run`.
 */
export interface CliCommand {
  /** Full `--help` text: usage, options, an example. */
  help: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** An error whose message is shown to the user as is (no stack trace), exit code 1 by default. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}
