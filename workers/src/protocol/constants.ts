/**
 * The protocol's small constants, the TypeScript twin of contracts/types/TaskTypes.sol (one table:
 * change both together). Pure: no chain, queue or runtime code.
 */

/** The names of `TaskStatus`, in the contract's order (index = the on-chain uint8). */
export const TASK_STATUS_NAMES = [
  "None",
  "Seating",
  "Verifying",
  "Revealing",
  "AwaitingFinalize",
  "Finalized",
  "Unresolved",
  "Cancelled",
] as const;
export type TaskStatusName = (typeof TASK_STATUS_NAMES)[number];

/** `TaskStatus` by name → its on-chain value. */
export const TaskStatus = {
  None: 0,
  Seating: 1,
  Verifying: 2,
  Revealing: 3,
  AwaitingFinalize: 4,
  Finalized: 5,
  Unresolved: 6,
  Cancelled: 7,
} as const satisfies Record<TaskStatusName, number>;
export type TaskStatus = (typeof TaskStatus)[TaskStatusName];

/** Whether a task in status `s` is over (no more commits or reveals). */
export function isFinalStatus(s: number): boolean {
  return s === TaskStatus.Finalized || s === TaskStatus.Unresolved || s === TaskStatus.Cancelled;
}

/** Place of a commitment (PLACE_*; the Committed event's `place`). */
export const Place = { Seat: 1, Verifier: 2, Juror: 3 } as const;
export type Place = (typeof Place)[keyof typeof Place];
/** Short name of a place (logs, metrics labels, job ids). */
export const PLACE_NAME: Record<Place, "seat" | "verifier" | "juror"> = {
  1: "seat",
  2: "verifier",
  3: "juror",
};

/** Role bits of NodeStaking (ROLE_*). */
export const Role = { Compute: 1, Validator: 2 } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Kind of a task seed (KIND_*): the seat sortition, the verifier draw, the jury draw. */
export const SeedKind = { Seats: 1, Verifiers: 2, Jury: 3 } as const;
export type SeedKind = (typeof SeedKind)[keyof typeof SeedKind];

/** Basis points (BPS). */
export const BPS = 10_000n;
