/** Formatting: OMNIT amounts, addresses, times, a task's live phase and its next deadline. */
import type { Row } from "./api.ts";

const WEI = 10n ** 18n;

/** wei (decimal string) → "1,234.5678" OMNIT. */
export function omnit(wei: string | number | null | undefined, digits = 4): string {
  if (wei === null || wei === undefined) return "–";
  const v = BigInt(wei);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const whole = (a / WEI).toLocaleString("en-US");
  const frac = (a % WEI).toString().padStart(18, "0").slice(0, digits).replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? "." + frac : ""}`;
}

export const short = (h: string | null | undefined, n = 6) => (h ? `${h.slice(0, n)}…${h.slice(-4)}` : "–");

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}

export const dateOf = (ts: string | number | null) =>
  ts === null ? "–" : new Date(Number(ts) * 1000).toISOString().replace("T", " ").slice(0, 19);

export const PLACES: Record<number, string> = { 1: "seat", 2: "verifier", 3: "juror" };

/** The live phase of a task at chain time `now` (the contract's statusOf, from the stored clocks). */
export function phaseOf(t: Row, now: number): { phase: string; next?: number; what?: string } {
  if (t.status !== "Open") return { phase: String(t.status) };
  const seat = Number(t.seatDeadline);
  const commit = Number(t.commitDeadline);
  const reveal = Number(t.revealDeadline);
  if (now < seat) return { phase: "Seating", next: seat, what: "seat window closes" };
  if (now < commit) return { phase: "Verifying", next: commit, what: "reveals open" };
  if (now < reveal) return { phase: "Revealing", next: reveal, what: "reveal window closes" };
  return { phase: "AwaitingFinalize" };
}
