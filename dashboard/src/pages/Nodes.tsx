/** The leaderboard (by earnings, reputation or stake) and one node's (or any account's) page. */
import { useState } from "react";
import { usePoll, type Row } from "../api.ts";
import { dateOf, omnit, PLACES } from "../format.ts";
import { Addr, Loaded, Table, TaskLink, Tx } from "../ui.tsx";
import { Timeline } from "./Timeline.tsx";

export function Nodes() {
  const [sort, setSort] = useState("earned");
  const p = usePoll<{ nodes: Row[] }>(`/api/nodes?sort=${sort}`);
  return (
    <>
      <h2>Nodes</h2>
      <p>
        sort by{" "}
        {["earned", "reputation", "stake"].map((s) => (
          <button key={s} className={s === sort ? "on" : ""} onClick={() => setSort(s)}>
            {s}
          </button>
        ))}
      </p>
      <Loaded p={p}>
        {(d) => (
          <Table
            head={[
              "#",
              "node",
              "roles",
              "active",
              "stake",
              "earned",
              "commits",
              "revealed",
              "agreed",
              "wrong",
              "silent",
              "slashed",
            ]}
            rows={d.nodes.map((n, i) => [
              i + 1,
              <Addr a={n.address as string} />,
              ["", "compute", "validator", "both"][Number(n.roles)] ?? String(n.roles),
              n.active ? "yes" : "no",
              omnit(n.stake as string, 0),
              omnit(n.earned as string, 2),
              n.commitments,
              n.revealed,
              n.agreed,
              n.wrong,
              n.silent,
              omnit(n.slashed as string, 2),
            ])}
            empty="No node has staked yet."
          />
        )}
      </Loaded>
    </>
  );
}

interface NodePage {
  node: Row;
  commitments: Row[];
  liquidations: Row[];
  events: Row[];
}

function NodeFacts({ n }: { n: Row }) {
  return (
    <div className="facts">
      <div>
        stake {omnit(n.stake as string)} OMNIT (locked {omnit(n.locked as string)}, unbonding{" "}
        {omnit(n.unstaking as string)}) · roles {String(n.roles)} · {n.active ? "active" : "inactive"} ·
        metadata {String(n.metadataURI)}
      </div>
      <div>
        earned {omnit(n.earned as string)} · claimed {omnit(n.claimed as string)} · withdrawn{" "}
        {omnit(n.withdrawn as string)} · slashed {omnit(n.slashed as string)} OMNIT
      </div>
      <div>
        commitments {String(n.commitments)} · revealed {String(n.revealed)} · agreed {String(n.agreed)} ·
        wrong {String(n.wrong)} · silent {String(n.silent)} · first seen {dateOf(n.firstSeen as string)} ·
        last active {dateOf(n.lastActive as string)}
      </div>
    </div>
  );
}

export function Account({ address }: { address: string }) {
  const node = usePoll<NodePage | { error: string }>(`/api/nodes/${address}`).data;
  const events = usePoll<{ events: Row[] }>(`/api/events?account=${address}`);
  const isNode = node && "node" in node;
  return (
    <>
      <h2>
        {isNode ? "Node" : "Account"} <span className="mono">{address}</span>
      </h2>
      {isNode ? (
        <>
          <NodeFacts n={node.node} />
          <h3>Commitments</h3>
          <Table
            head={["task", "place", "committed (chain)", "revealed", "claimed", "liquidated", "tx"]}
            rows={node.commitments.map((c) => [
              <TaskLink id={String(c.taskId)} />,
              PLACES[Number(c.place)],
              dateOf(c.committedAt as string),
              c.revealed ? "yes" : "no",
              omnit(c.claimed as string),
              c.liquidated !== "0" ? omnit(c.liquidated as string) : "",
              <Tx h={c.tx as string} />,
            ])}
            empty="No commitment yet."
          />
        </>
      ) : null}
      <h3>Events</h3>
      <Loaded p={events}>{(d) => <Timeline events={d.events} />}</Loaded>
    </>
  );
}

export function Transaction({ hash }: { hash: string }) {
  const p = usePoll<{ events: Row[] }>(`/api/events?tx=${hash}`);
  return (
    <>
      <h2>
        Transaction <span className="mono">{hash}</span>
      </h2>
      <Loaded p={p}>{(d) => <Timeline events={d.events} />}</Loaded>
    </>
  );
}

export { Addr };
