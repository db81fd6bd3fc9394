/**
 * A cheating node for tests and the demo, made by an output transform given to startNode (never
 * a setting of the production config): it commits a deterministic wrong result, so that a
 * restarted cheater reveals what it committed.
 */
import type { InputTransform, OutputTransform } from "../../workers/src/node/context.ts";

export const wrongOutput: OutputTransform = (_canonical, { taskId }) =>
  `{"outputs":[{"name":"cheat","dims":[1],"data":[${Number(taskId % 1000n)}]}]}`;

/**
 * A cheater on a generative model (PROTOCOL.md §7): it runs the task's prompt with another sampling
 * seed (the seed's bits inverted), so it commits real but different text. Inputs without a seed
 * pass unchanged. Given to startNode as `transformInput` (never a setting of the production config).
 */
export const otherSeed: InputTransform = (input) => {
  let v: { seed?: unknown };
  try {
    v = JSON.parse(new TextDecoder().decode(input)) as { seed?: unknown };
  } catch {
    return input;
  }
  if (typeof v.seed !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v.seed)) return input;
  const flipped = [...v.seed.slice(2)].map((c) => (15 - parseInt(c, 16)).toString(16)).join("");
  return new TextEncoder().encode(JSON.stringify({ ...v, seed: `0x${flipped}` }));
};
