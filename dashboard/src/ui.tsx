/** Small building blocks: links, loading and empty states, tables, stat cards, bar charts. */
import type { ReactNode } from "react";
import type { Polled } from "./api.ts";
import { short } from "./format.ts";

export const Addr = ({ a }: { a: string | null | undefined }) =>
  a ? (
    <a className="mono" href={`#/account/${a}`} title={a}>
      {short(a)}
    </a>
  ) : (
    <span>–</span>
  );

export const Tx = ({ h }: { h: string | null | undefined }) =>
  h ? (
    <a className="mono" href={`#/tx/${h}`} title={h}>
      {short(h, 8)}
    </a>
  ) : (
    <span>–</span>
  );

export const TaskLink = ({ id }: { id: string | number }) => <a href={`#/task/${id}`}>#{id}</a>;

export const Badge = ({ text }: { text: string }) => <span className={`badge b-${text}`}>{text}</span>;

/** Renders `children(data)` once loaded; a loading line before, the error if the API fails. */
export function Loaded<T>({ p, children }: { p: Polled<T>; children: (data: T) => ReactNode }) {
  if (p.data !== undefined) return <>{children(p.data)}</>;
  if (p.error) return <p className="error">Indexer unreachable: {p.error}</p>;
  return <p className="loading">Loading…</p>;
}

export const Empty = ({ what }: { what: string }) => <p className="empty">{what}</p>;

export function Table({ head, rows, empty }: { head: string[]; rows: ReactNode[][]; empty: string }) {
  if (rows.length === 0) return <Empty what={empty} />;
  return (
    <table>
      <thead>
        <tr>
          {head.map((h) => (
            <th key={h}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {r.map((c, j) => (
              <td key={j}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export const Stat = ({ label, value }: { label: string; value: ReactNode }) => (
  <div className="stat">
    <div className="stat-v">{value}</div>
    <div className="stat-l">{label}</div>
  </div>
);

/** A bar chart of `values` (one bar per hour) in plain SVG. */
export function Bars({ title, values, labels }: { title: string; values: number[]; labels: string[] }) {
  const max = Math.max(1, ...values);
  const w = 600;
  const h = 120;
  const bw = values.length ? w / values.length : w;
  return (
    <figure className="chart">
      <figcaption>
        {title} <span className="dim">(max {max.toLocaleString("en-US")})</span>
      </figcaption>
      {values.length === 0 ? (
        <Empty what="No data yet." />
      ) : (
        <svg viewBox={`0 0 ${w} ${h}`} width="100%" height={h} preserveAspectRatio="none" role="img">
          {values.map((v, i) => (
            <rect
              key={i}
              x={i * bw + 1}
              y={h - (v / max) * h}
              width={Math.max(1, bw - 2)}
              height={(v / max) * h}
            >
              <title>{`${labels[i]}: ${v}`}</title>
            </rect>
          ))}
        </svg>
      )}
    </figure>
  );
}
