/**
 * npm run bench:generate — generative models (PROTOCOL.md §7) on the trained models/tiny-lm: the
 * agreement and speed rows of scripts/generate-bench.ts (also printed by bench:agreement and
 * bench:infer). Options: --rounds R (speed rounds, default 101), --prompts N (agreement prompts,
 * default 8).
 */
import { generateAgreement, generateSpeed } from "./generate-bench.ts";

const args = process.argv.slice(2);
const opt = (name: string, d: number) => Number(args[args.indexOf(name) + 1] || 0) || d;

console.log((await generateAgreement(opt("--prompts", 8))).join("\n"));
console.log("\n" + (await generateSpeed(opt("--rounds", 101))).join("\n"));
