/** Recent liquidations: who lost what, why, in which task, by whom. */
import { usePoll, type Row } from "../api.ts";
import { dateOf, omnit } from "../format.ts";
import { Addr, Loaded, Table, TaskLink, Tx } from "../ui.tsx";

export function Liquidations({ limit = 50 }: { limit?: number }) {
  const p = usePoll<{ liquidations: Row[] }>(`/api/liquidations?limit=${limit}`);
  return (
    <Loaded p={p}>
      {(d) => (
        <Table
          head={["task", "node", "OMNIT slashed", "reason", "liquidator", "when (chain)", "tx"]}
          rows={d.liquidations.map((l) => [
            <TaskLink id={String(l.taskId)} />,
            <Addr a={l.node as string} />,
            omnit(l.amount as string, 2),
            <span className="liq-reason">{String(l.reason)}</span>,
            <Addr a={l.liquidator as string} />,
            dateOf(l.timestamp as string),
            <Tx h={l.tx as string} />,
          ])}
          empty="No liquidation: every node so far revealed what the majority did."
        />
      )}
    </Loaded>
  );
}
