/** The indexer's API (proxied under /api by Vite) and a polling hook: the dashboard's only data source. */
import { useEffect, useRef, useState } from "react";

export type Row = Record<string, string | number | boolean | null>;

export async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** Local time (ms) of the last successful fetch. */
  at: number;
}

/** Fetches `path` now and every `everyMs` (the dashboard follows the chain live by polling). */
export function usePoll<T>(path: string, everyMs = 2000): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined, at: 0 });
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    setState({ data: undefined, error: undefined, at: 0 });
    const tick = () =>
      getJson<T>(path).then(
        (data) => alive.current && setState({ data, error: undefined, at: Date.now() }),
        (e: Error) => alive.current && setState((s) => ({ ...s, error: e.message })),
      );
    void tick();
    const id = setInterval(tick, everyMs);
    return () => {
      alive.current = false;
      clearInterval(id);
    };
  }, [path, everyMs]);
  return state;
}

export interface Overview {
  network: Row | null;
  chain: { number: string; timestamp: string } | null;
  chainId: number | null;
}
