/** absent juror: honest in seats and verifier places, but never commits when drawn as a juror. */
import { honestAnswer, type NodeStrategy } from "./types.ts";

export const absentJuror: NodeStrategy = {
  name: "absentJuror",
  answer: (t, place) => (place === 3 ? undefined : honestAnswer(t)),
};
