/** One task: its clocks and phase, who committed where, reveals, n and m, payouts, the timeline. */
import { usePoll, type Row } from "../api.ts";
import { useChainNow } from "../clock.ts";
import { dateOf, duration, omnit, phaseOf, PLACES, short } from "../format.ts";
import { Addr, Badge, Loaded, Table, Tx } from "../ui.tsx";
import { Timeline } from "./Timeline.tsx";

interface TaskPage {
  task: Row;
  commitments: Row[];
  liquidations: Row[];
  events: Row[];
  model: Row | null;
}

function Facts({ t, model }: { t: Row; model: Row | null }) {
  const now = useChainNow();
  const p = phaseOf(t, now);
  const clocks: [string, unknown][] = [
    ["created", t.createdAt],
    ["seat window closes", t.seatDeadline],
    ["verifier window closes", t.verifyDeadline],
    ["dispute window closes", t.disputeDeadline],
    ["reveals open", t.commitDeadline],
    ["reveal window closes", t.revealDeadline],
  ];
  return (
    <div className="facts">
      <div>
        phase <Badge text={p.phase} /> {p.next ? `${p.what} in ${duration(p.next - now)}` : ""}
      </div>
      <div>
        requester <Addr a={t.requester as string} /> · reward {omnit(t.reward as string)} OMNIT · seats{" "}
        {String(t.seats)}/{String(t.redundancy)} · verifiers {String(t.verifiers)} · jurors {String(t.jurors)}
      </div>
      <div>
        model <span className="mono">{short(t.modelId as string, 10)}</span>
        {model ? ` (royalty ${Number(model.royaltyBps) / 100} %, owner ${short(model.owner as string)})` : ""}
      </div>
      <div>
        outcome: n = <b className="n">{t.n ?? "–"}</b>, m = <b className="m">{t.m ?? "–"}</b>
        {t.outputHash ? (
          <>
            {" "}
            · output hash <span className="mono">{short(t.outputHash as string, 10)}</span>
          </>
        ) : null}
        {t.disputed ? (
          <>
            {" "}
            · disputed by <Addr a={t.disputedBy as string} /> (bond {omnit(t.disputeBond as string)})
          </>
        ) : null}
        {t.delivered ? " · result delivered" : ""}
        {t.callbackFailed ? " · callback failed" : ""}
      </div>
      <ul className="clocks">
        {clocks.map(([k, v]) => (
          <li key={k}>
            {k}: {dateOf(v as string)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Commitments({ rows }: { rows: Row[] }) {
  return (
    <Table
      head={[
        "place",
        "node",
        "committed (chain)",
        "revealed hash",
        "claimed",
        "bond released",
        "liquidated",
        "tx",
      ]}
      rows={rows.map((c) => [
        PLACES[Number(c.place)] + (c.voided ? " (seat lost)" : ""),
        <Addr a={c.node as string} />,
        dateOf(c.committedAt as string),
        c.revealed ? <span className="mono">{short(c.outputHash as string, 10)}</span> : "not revealed",
        omnit(c.claimed as string),
        omnit(c.bondReleased as string),
        c.liquidated !== "0" ? <span className="bad">{omnit(c.liquidated as string)}</span> : "",
        <Tx h={c.tx as string} />,
      ])}
      empty="No commitment yet."
    />
  );
}

export function Task({ id }: { id: string }) {
  const p = usePoll<TaskPage>(`/api/tasks/${id}`);
  return (
    <>
      <h2>Task #{id}</h2>
      <Loaded p={p}>
        {(d) => (
          <>
            <Facts t={d.task} model={d.model} />
            <h3>Commitments by place</h3>
            <Commitments rows={d.commitments} />
            <h3>Payouts</h3>
            <p>
              claimed by nodes {omnit(d.task.claimed as string)} OMNIT · slashed{" "}
              {omnit(d.task.slashed as string)} OMNIT in {String(d.task.liquidations)} liquidation(s) · bonds
              released {omnit(d.task.bondsReleased as string)} OMNIT
            </p>
            <h3>Timeline</h3>
            <Timeline events={d.events} />
          </>
        )}
      </Loaded>
    </>
  );
}
