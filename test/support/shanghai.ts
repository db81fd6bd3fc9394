/**
 * Compiles the deployable contracts for `evmVersion: "shanghai"` (the last hardfork that ganache
 * 7.9 runs: no mcopy, no transient storage) with the project's solcjs (npm `solc`), without
 * touching Hardhat's artifacts/. The output is cached under cache/shanghai/<key>.json, keyed by
 * the compiler version, the settings and the content of every source file reached through
 * imports, so a second run with unchanged sources costs nothing.
 *
 * Settings mirror hardhat.config.ts's `shanghai` profile (optimizer on, 200 runs, no viaIR).
 *
 *   npx tsx scripts/build-shanghai.ts          # prints where the output is and how long it took
 *   import { buildShanghai } from "../support/shanghai.ts";   // from a test
 *
 * Importing this module has no side effects.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, posix, resolve } from "node:path";
import type { Abi, Hex } from "viem";

const ROOT = resolve(import.meta.dirname, "..", "..");
const require = createRequire(import.meta.url);

/** The entry contracts, as source unit names relative to the repository root. */
export const SHANGHAI_ENTRY_SOURCES = [
  "contracts/token/OmniToken.sol",
  "contracts/staking/NodeStaking.sol",
  "contracts/registry/ModelRegistry.sol",
  "contracts/tasks/TaskManager.sol",
  "contracts/examples/ExampleConsumer.sol",
] as const;

export const SHANGHAI_SETTINGS = {
  evmVersion: "shanghai",
  optimizer: { enabled: true, runs: 200 },
  viaIR: false,
  outputSelection: {
    "*": {
      "*": ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences", "evm.deployedBytecode.object"],
    },
  },
} as const;

/** Where a library must be linked: byte offsets into the creation bytecode. */
export type LinkReferences = Record<string, Record<string, { start: number; length: number }[]>>;

/** One compiled contract. */
export interface ShanghaiContract {
  sourceName: string;
  contractName: string;
  abi: Abi;
  /** Creation bytecode, 0x-prefixed, with `__$…$__` placeholders where libraries go. */
  bytecode: Hex;
  /** Runtime bytecode (unlinked), 0x-prefixed. */
  deployedBytecode: Hex;
  linkReferences: LinkReferences;
}

/** The compiled output: contracts by name (names are unique in this project). */
export interface ShanghaiBuild {
  solcVersion: string;
  evmVersion: "shanghai";
  cacheKey: string;
  contracts: Record<string, ShanghaiContract>;
}

export interface BuildResult {
  build: ShanghaiBuild;
  /** Path of the cache file. */
  file: string;
  /** True when the output came from the cache. */
  cached: boolean;
  /** Milliseconds spent (reading the cache, or compiling). */
  ms: number;
}

/** Error raised when the sources do not compile for shanghai; the message carries solc's errors. */
export class ShanghaiBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShanghaiBuildError";
  }
}

const IMPORT_RE = /^\s*import\s+(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']\s*;/gm;

/** Reads a source unit: project files from the root, package imports from node_modules. */
function readSource(unit: string): string {
  const local = join(ROOT, unit);
  if (existsSync(local)) return readFileSync(local, "utf8");
  const pkg = join(ROOT, "node_modules", unit);
  if (existsSync(pkg)) return readFileSync(pkg, "utf8");
  throw new ShanghaiBuildError(`source "${unit}" not found in the repository or node_modules`);
}

/** Resolves an import path as solc does: relative to the importing unit, else as given (remapping-free). */
function resolveImport(from: string, path: string): string {
  if (path.startsWith("./") || path.startsWith("../"))
    return posix.normalize(posix.join(posix.dirname(from), path));
  return path;
}

/** Every source unit reached from the entries, with its content. */
export function collectSources(entries: readonly string[] = SHANGHAI_ENTRY_SOURCES): Map<string, string> {
  const sources = new Map<string, string>();
  const stack = [...entries];
  while (stack.length) {
    const unit = stack.pop()!;
    if (sources.has(unit)) continue;
    const content = readSource(unit);
    sources.set(unit, content);
    for (const m of content.matchAll(IMPORT_RE)) stack.push(resolveImport(unit, m[1]));
  }
  return sources;
}

function solcVersion(): string {
  return (require("solc/package.json") as { version: string }).version;
}

function cacheKeyOf(sources: Map<string, string>): string {
  const h = createHash("sha256");
  h.update(`solc ${solcVersion()}\n${JSON.stringify(SHANGHAI_SETTINGS)}\n`);
  for (const unit of [...sources.keys()].sort()) {
    h.update(`${unit}\n${sources.get(unit)!.length}\n`);
    h.update(sources.get(unit)!);
  }
  return h.digest("hex").slice(0, 24);
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<
      string,
      {
        abi: Abi;
        evm: {
          bytecode: { object: string; linkReferences: LinkReferences };
          deployedBytecode: { object: string };
        };
      }
    >
  >;
}

/**
 * Returns the shanghai build of the deployable contracts, compiling with solcjs only when the
 * cache has no entry for the current sources (about a minute on two cores; instant when cached).
 */
export function buildShanghai(opts: { cacheDir?: string; force?: boolean } = {}): BuildResult {
  const started = Date.now();
  const sources = collectSources();
  const cacheKey = cacheKeyOf(sources);
  const dir = opts.cacheDir ?? join(ROOT, "cache", "shanghai");
  const file = join(dir, `${cacheKey}.json`);
  if (!opts.force && existsSync(file)) {
    const build = JSON.parse(readFileSync(file, "utf8")) as ShanghaiBuild;
    return { build, file, cached: true, ms: Date.now() - started };
  }

  const solc = require("solc") as { compile(input: string): string };
  const input = {
    language: "Solidity",
    sources: Object.fromEntries([...sources].map(([unit, content]) => [unit, { content }])),
    settings: SHANGHAI_SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length) {
    throw new ShanghaiBuildError(
      `solc (shanghai) failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`,
    );
  }
  const contracts: Record<string, ShanghaiContract> = {};
  for (const [sourceName, byName] of Object.entries(output.contracts ?? {})) {
    for (const [contractName, c] of Object.entries(byName)) {
      if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts
      if (contracts[contractName] && contracts[contractName].sourceName !== sourceName) {
        throw new ShanghaiBuildError(
          `two contracts named ${contractName}: ${contracts[contractName].sourceName} and ${sourceName}`,
        );
      }
      contracts[contractName] = {
        sourceName,
        contractName,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}` as Hex,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}` as Hex,
        linkReferences: c.evm.bytecode.linkReferences ?? {},
      };
    }
  }
  const build: ShanghaiBuild = { solcVersion: solcVersion(), evmVersion: "shanghai", cacheKey, contracts };
  mkdirSync(dirname(file), { recursive: true });
  // Write then rename, so a concurrent reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(build));
  renameSync(tmp, file);
  // Keep only the newest build: older keys belong to sources that no longer exist.
  for (const f of readdirSync(dir)) {
    if (f.endsWith(".json") && f !== `${cacheKey}.json`) rmSync(join(dir, f), { force: true });
  }
  return { build, file, cached: false, ms: Date.now() - started };
}
