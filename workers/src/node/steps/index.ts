/**
 * The steps of a task's life for the compute and verifier roles (PROTOCOL.md §4, §8), one per
 * file. Each reads the chain first and does nothing when its step is already done (every job is
 * idempotent), and returns the jobs that follow it; the queue layer enqueues them.
 */
import type { StepContext } from "../context.ts";
import type { Handlers } from "../queues.ts";
import { commit } from "./commit.ts";
import { draw } from "./draw.ts";
import { finalize } from "./finalize.ts";
import { infer } from "./infer.ts";
import { reveal } from "./reveal.ts";
import { seed } from "./seed.ts";
import { settle } from "./settle.ts";

export function createHandlers(ctx: StepContext): Handlers {
  return {
    infer: (data, { log }) => infer(ctx, data, log),
    draw: (data, { log }) => draw(ctx, data, log),
    seed: (data, { log }) => seed(ctx, data, log),
    commit: (data, { log }) => commit(ctx, data, log),
    reveal: (data, { log }) => reveal(ctx, data, log),
    finalize: (data, { log }) => finalize(ctx, data, log),
    settle: (data, { log }) => settle(ctx, data, log),
  };
}
