/**
 * self-disputer: an honest node whose owner also requests tasks and disputes every one of them,
 * hoping that its node's jury and verifier pay from the pool beats the dispute bonds it loses
 * (the requester side is in ../requesters.ts; profit counts both accounts).
 */
import { honestAnswer, type NodeStrategy } from "./types.ts";

export const selfDisputer: NodeStrategy = { name: "selfDisputer", answer: honestAnswer };
