/** Parameters (current values and every change) and, when the deployment has a governor, proposals. */
import { usePoll, type Row } from "../api.ts";
import { dateOf } from "../format.ts";
import { Addr, Loaded, Table, Tx } from "../ui.tsx";

export function Governance() {
  const params = usePoll<{ current: Row[]; changes: Row[] }>("/api/parameters");
  const gov = usePoll<{ proposals: Row[] }>("/api/governance", 5000); // states move with time too;
  return (
    <>
      <h2>Governance</h2>
      <h3>Proposals</h3>
      <Loaded p={gov}>
        {(d) => (
          <Table
            head={["id", "proposer", "state", "for", "against", "abstain", "description", "tx"]}
            rows={d.proposals.map((p) => [
              String(p.id).slice(0, 10) + "…",
              <Addr a={p.proposer as string} />,
              String(p.state),
              String(p.forVotes),
              String(p.againstVotes),
              String(p.abstainVotes),
              String(p.description).slice(0, 80),
              <Tx h={p.tx as string} />,
            ])}
            empty="No proposal (this deployment has no governor, or nobody proposed yet)."
          />
        )}
      </Loaded>
      <h3>Parameters</h3>
      <Loaded p={params}>
        {(d) => (
          <>
            <Table
              head={["contract", "parameter", "value", "since (chain)", "tx"]}
              rows={d.current.map((p) => [
                String(p.contract),
                String(p.name),
                /^0x[0-9a-f]{40}$/.test(String(p.value)) ? <Addr a={String(p.value)} /> : String(p.value),
                dateOf(p.updatedAt as string),
                <Tx h={p.tx as string} />,
              ])}
              empty="No parameter changed since deployment (the constructor's defaults apply)."
            />
            <h3>Changes</h3>
            <Table
              head={["when (chain)", "contract", "parameter", "value", "tx"]}
              rows={d.changes.map((p) => [
                dateOf(p.timestamp as string),
                String(p.contract),
                String(p.name),
                String(p.value),
                <Tx h={p.tx as string} />,
              ])}
              empty="No change yet."
            />
          </>
        )}
      </Loaded>
    </>
  );
}
