/**
 * Registers one handler for every event of every indexed contract: each event becomes a row of
 * the `event` table (the timelines), then its typed handler (src/tasks.ts, src/staking.ts,
 * src/governance.ts), if
 * any, updates the domain tables.
 */
import { ponder, type EventNames } from "ponder:registry";
import type { Abi } from "viem";
import config from "../ponder.config.ts";
import type { Handlers } from "./handlers.ts";
import { governanceHandlers } from "./governance.ts";
import { recordEvent, type Ctx, type LogEvent } from "./lib.ts";
import { stakingHandlers } from "./staking.ts";
import { taskHandlers } from "./tasks.ts";

const handlers: Handlers = { ...taskHandlers, ...stakingHandlers, ...governanceHandlers };

type Generic = (args: { event: LogEvent; context: Ctx }) => Promise<void>;

for (const [contract, { abi }] of Object.entries(config.contracts as Record<string, { abi: Abi }>)) {
  const names = new Set(abi.filter((i) => i.type === "event").map((i) => i.name));
  for (const name of names) {
    const key = `${contract}:${name}` as EventNames;
    const specific = handlers[key] as Generic | undefined;
    const run: Generic = async ({ event, context }) => {
      await recordEvent(contract, name, event, context);
      if (specific) await specific({ event, context });
    };
    ponder.on(key, run as Parameters<typeof ponder.on>[1]);
  }
}
