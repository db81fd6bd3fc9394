/** The chain's clock, for countdowns: the latest block's timestamp plus the wall time since it was read. */
import { useEffect, useState } from "react";
import { usePoll, type Overview } from "./api.ts";

export function useChainNow(): number {
  const o = usePoll<Overview>("/api/overview", 3000);
  const [, tick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => tick((x) => x + 1), 1000);
    return () => clearInterval(id);
  }, []);
  const base = o.data?.chain ? Number(o.data.chain.timestamp) : Date.now() / 1000;
  const since = o.at ? (Date.now() - o.at) / 1000 : 0;
  return Math.floor(base + since);
}
