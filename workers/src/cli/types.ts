/**
 * A CLI command: one file per command under workers/src/cli/, named after the command's words
 * joined by "-" (`omnitensor model check` → `model-check.ts`, `omnitensor infer` → `infer.ts`).
 */
export interface CliCommand {
  /** One line for the command list. */
  summary: string;
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
