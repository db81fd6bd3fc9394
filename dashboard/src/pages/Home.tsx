/** The network at a glance and the live task list (phase and countdown to the next deadline). */
import { usePoll, type Overview, type Row } from "../api.ts";
import { duration, omnit, phaseOf } from "../format.ts";
import { Addr, Badge, Loaded, Stat, Table, TaskLink } from "../ui.tsx";
import { useChainNow } from "../clock.ts";
import { Liquidations } from "./Liquidations.tsx";

export function Stats({ o }: { o: Overview }) {
  const n = o.network;
  if (!n) return <p className="empty">No OmniTensor event indexed yet.</p>;
  return (
    <div className="stats">
      <Stat label="tasks" value={n.tasks} />
      <Stat label="finalized" value={n.finalized} />
      <Stat label="unresolved / cancelled" value={`${n.unresolved} / ${n.cancelled}`} />
      <Stat label="nodes" value={n.nodes} />
      <Stat label="OMNIT staked" value={omnit(n.totalStaked as string, 0)} />
      <Stat label="OMNIT in escrow" value={omnit(n.escrowed as string, 2)} />
      <Stat label="OMNIT paid to nodes" value={omnit(n.rewardsClaimed as string, 2)} />
      <Stat label="OMNIT slashed" value={omnit(n.slashed as string, 2)} />
      <Stat label="liquidations" value={n.liquidations} />
      <Stat label="verification pool" value={omnit(n.verificationPool as string, 2)} />
      <Stat label="indexed block" value={o.chain?.number ?? "–"} />
    </div>
  );
}

export function TaskTable({ tasks }: { tasks: Row[] }) {
  const now = useChainNow();
  const rows = tasks.map((t) => {
    const p = phaseOf(t, now);
    return [
      <TaskLink id={String(t.id)} />,
      <Badge text={p.phase} />,
      p.next ? <span title={p.what}>{duration(p.next - now)}</span> : "–",
      omnit(t.reward as string, 2),
      `${t.seats}/${t.redundancy}`,
      t.verifiers,
      t.reveals,
      t.disputed ? "yes" : "",
      <Addr a={t.requester as string} />,
    ];
  });
  return (
    <Table
      head={[
        "task",
        "phase",
        "next deadline in",
        "reward",
        "seats",
        "verifiers",
        "reveals",
        "disputed",
        "requester",
      ]}
      rows={rows}
      empty="No task yet: create one (npx omnitensor task create) and it appears here."
    />
  );
}

export function Home() {
  const o = usePoll<Overview>("/api/overview");
  const t = usePoll<{ total: number; tasks: Row[] }>("/api/tasks?limit=50");
  return (
    <>
      <Loaded p={o}>{(d) => <Stats o={d} />}</Loaded>
      <h2>Tasks</h2>
      <Loaded p={t}>{(d) => <TaskTable tasks={d.tasks} />}</Loaded>
      <h2>Recent liquidations</h2>
      <Liquidations limit={5} />
    </>
  );
}
