/** A list of indexed events (a task's, an account's or a transaction's). */
import type { Row } from "../api.ts";
import { dateOf } from "../format.ts";
import { Addr, Table, TaskLink, Tx } from "../ui.tsx";

const summary = (args: unknown) =>
  Object.entries((args ?? {}) as Record<string, unknown>)
    .filter(([k]) => !["taskId", "input", "sealedOutput", "output"].includes(k))
    .map(([k, v]) => `${k}=${String(v).length > 24 ? String(v).slice(0, 12) + "…" : String(v)}`)
    .join(" ");

export function Timeline({ events }: { events: Row[] }) {
  return (
    <Table
      head={["when (chain)", "block", "event", "task", "account", "details", "tx"]}
      rows={events.map((e) => [
        dateOf(e.timestamp as string),
        String(e.block),
        <span className="ev">{`${e.contract}.${e.name}`}</span>,
        e.taskId !== null ? <TaskLink id={String(e.taskId)} /> : "",
        <Addr a={e.account as string} />,
        <span className="dim details">{summary(e.args)}</span>,
        <Tx h={e.tx as string} />,
      ])}
      empty="No event."
    />
  );
}
