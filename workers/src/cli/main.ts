import { readdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join, dirname } from "node:path";
import { CliError, type CliCommand } from "./types.ts";

const here = join(dirname(fileURLToPath(import.meta.url)), "commands");
const NOT_COMMANDS = new Set(["main", "types", "util", "args", "format"]);

async function listCommands(): Promise<string[]> {
  const files = await readdir(here);
  return files
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => f.slice(0, -3))
    .filter((f) => !NOT_COMMANDS.has(f))
    .sort();
}

async function load(name: string): Promise<CliCommand> {
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { default: CliCommand };
  return mod.default;
}

async function usage(): Promise<string> {
  const lines = [
    "Usage: omnitensor <command> [options]   (omnitensor <command> --help for details)",
    "",
    "Commands:",
  ];
  for (const name of await listCommands()) {
    const cmd = await load(name);
    lines.push(`  ${name.replace(/-/g, " ").padEnd(22)} ${cmd.summary}`);
  }
  return lines.join("\n");
}

/** Finds the command named by the first one or two words of argv, runs it, returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    console.log(await usage());
    return argv.length === 0 ? 1 : 0;
  }
  // `worker` is the old name of `node run` (kept as an alias).
  if (argv[0] === "worker") argv = ["node", "run", ...argv.slice(1)];
  let name: string | undefined;
  let rest: string[] = [];
  if (argv.length >= 2 && existsSync(join(here, `${argv[0]}-${argv[1]}.ts`))) {
    name = `${argv[0]}-${argv[1]}`;
    rest = argv.slice(2);
  } else if (existsSync(join(here, `${argv[0]}.ts`)) && !NOT_COMMANDS.has(argv[0])) {
    name = argv[0];
    rest = argv.slice(1);
  }
  if (!name) {
    console.error(`omnitensor: unknown command "${argv.slice(0, 2).join(" ")}"\n`);
    console.error(await usage());
    return 2;
  }
  const cmd = await load(name);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(cmd.help);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`omnitensor ${name.replace(/-/g, " ")}: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}
