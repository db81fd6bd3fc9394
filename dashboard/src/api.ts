/**
 * The indexer's API (proxied under /api by Vite): the dashboard's only data source. It follows the
 * chain with one light poll: `/api/head` every second (a few dozen bytes: the indexed version and
 * the chain's clock); each view refetches its data only when that version changes (an event was
 * indexed), or when its data is older than its `maxAgeMs` (for what moves with time alone).
 */
import { useEffect, useRef, useState, useSyncExternalStore } from "react";

export type Row = Record<string, string | number | boolean | null>;

export async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

export interface Head {
  version: string;
  chain: { number: string; timestamp: string } | null;
  serverTime: number;
}

const HEAD_MS = 1000;
/** The latest /api/head and the local time (ms) it came; one poller for every view. */
let head: { head: Head | undefined; at: number } = { head: undefined, at: 0 };
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

async function pollHead(): Promise<void> {
  try {
    head = { head: await getJson<Head>("/api/head"), at: Date.now() };
    for (const l of listeners) l();
  } catch {
    /* the indexer is away: keep the last head, the views show their own errors */
  }
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    void pollHead();
    timer = setInterval(() => void pollHead(), HEAD_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The indexer's head as last polled (re-renders every poll). */
export function useHead(): { head: Head | undefined; at: number } {
  return useSyncExternalStore(subscribe, () => head);
}

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** Local time (ms) of the last successful fetch. */
  at: number;
}

/**
 * Fetches `path` now, again whenever the indexed version changes, and when its data is older than
 * `maxAgeMs` (2 s after an error). Re-checked at each head poll.
 */
export function usePoll<T>(path: string, maxAgeMs = 30_000): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined, at: 0 });
  const version = useHead().head?.version;
  const started = useRef<{ path: string; version: string | undefined; at: number } | undefined>(undefined);
  const seq = useRef({ sent: 0, applied: 0, path });
  const last = started.current;
  const age = last ? Date.now() - last.at : Infinity;
  const stale =
    !last || last.path !== path || last.version !== version || age >= (state.error ? 2000 : maxAgeMs);
  useEffect(() => {
    if (!stale) return;
    if (started.current && started.current.path !== path)
      setState({ data: undefined, error: undefined, at: 0 });
    started.current = { path, version, at: Date.now() };
    const s = seq.current;
    s.path = path;
    const mine = ++s.sent;
    // A response is shown if it is for the path shown and newer than the one shown.
    const apply = (next: (old: Polled<T>) => Polled<T>) => {
      if (s.path !== path || mine <= s.applied) return;
      s.applied = mine;
      setState(next);
    };
    getJson<T>(path).then(
      (data) => apply(() => ({ data, error: undefined, at: Date.now() })),
      (e: Error) => apply((old) => ({ ...old, error: e.message })),
    );
  });
  useEffect(
    () => () => {
      seq.current.path = ""; // unmounted: drop what is in flight
    },
    [],
  );
  return state;
}

export interface Overview {
  network: Row | null;
  chain: { number: string; timestamp: string } | null;
  chainId: number | null;
}
