/** honest: runs the model, seals the result, reveals it, serves jury duty. */
import { honestAnswer, type NodeStrategy } from "./types.ts";

export const honest: NodeStrategy = { name: "honest", answer: honestAnswer };
