/** Per-hour series: tasks created and finalized, commits, active nodes, slashes, rewards. */
import { usePoll, type Row } from "../api.ts";
import { Bars, Loaded } from "../ui.tsx";

const toOmnit = (wei: unknown) => Number(BigInt(String(wei)) / 10n ** 14n) / 1e4;

export function Charts() {
  const p = usePoll<{ hours: Row[] }>("/api/series");
  return (
    <>
      <h2>Over time (per chain hour)</h2>
      <Loaded p={p}>
        {(d) => {
          const labels = d.hours.map((h) => new Date(Number(h.hour) * 1000).toISOString().slice(0, 13) + "h");
          const num = (k: string) => d.hours.map((h) => Number(h[k]));
          return (
            <div className="charts">
              <Bars title="tasks created" values={num("tasksCreated")} labels={labels} />
              <Bars title="tasks finalized" values={num("tasksFinalized")} labels={labels} />
              <Bars title="commits" values={num("commits")} labels={labels} />
              <Bars title="active nodes" values={num("activeNodes")} labels={labels} />
              <Bars title="liquidations" values={num("slashes")} labels={labels} />
              <Bars title="OMNIT slashed" values={d.hours.map((h) => toOmnit(h.slashed))} labels={labels} />
              <Bars
                title="OMNIT paid to nodes"
                values={d.hours.map((h) => toOmnit(h.rewards))}
                labels={labels}
              />
            </div>
          );
        }}
      </Loaded>
    </>
  );
}
