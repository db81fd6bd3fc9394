#!/usr/bin/env node
// Entry point of the `omnitensor` CLI: registers the TypeScript loader, then runs the dispatcher.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
