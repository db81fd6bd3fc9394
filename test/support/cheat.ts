/**
 * A cheating node for tests and the demo, made by an output transform given to startNode (never
 * a setting of the production config): it commits a deterministic wrong result, so that a
 * restarted cheater reveals what it committed.
 */
import type { OutputTransform } from "../../workers/src/node/context.ts";

export const wrongOutput: OutputTransform = (_canonical, { taskId }) =>
  `{"outputs":[{"name":"cheat","dims":[1],"data":[${Number(taskId % 1000n)}]}]}`;
