/** Hand-written SVG plots for docs/economics.md (no dependency). */

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
const W = 640;
const H = 320;
const PAD = { l: 70, r: 20, t: 30, b: 60 };

function frame(title: string, body: string[], yLabel: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">${esc(yLabel)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function yAxis(lo: number, hi: number, y: (v: number) => number): string[] {
  const out = [];
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    out.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${PAD.l - 6}" y="${y(v) + 4}" text-anchor="end">${v.toPrecision(3)}</text>`);
  }
  return out;
}

/** Bars with 95 % CI whiskers (values may be negative). */
export function barChart(
  title: string,
  yLabel: string,
  bars: { label: string; value: number; ci: number }[],
): string {
  const lo = Math.min(0, ...bars.map((b) => b.value - b.ci));
  const hi = Math.max(0, ...bars.map((b) => b.value + b.ci)) || 1;
  const y = (v: number) => PAD.t + ((hi - v) / (hi - lo || 1)) * (H - PAD.t - PAD.b);
  const bw = (W - PAD.l - PAD.r) / Math.max(1, bars.length);
  const body = yAxis(lo, hi, y);
  bars.forEach((b, i) => {
    const x = PAD.l + i * bw + bw * 0.15;
    const [top, bottom] = [y(Math.max(0, b.value)), y(Math.min(0, b.value))];
    const fill = b.value >= 0 ? "#4a7" : "#c54";
    body.push(
      `<rect x="${x}" y="${top}" width="${bw * 0.7}" height="${Math.max(1, bottom - top)}" fill="${fill}"/>`,
    );
    const cx = x + bw * 0.35;
    body.push(
      `<line x1="${cx}" x2="${cx}" y1="${y(b.value - b.ci)}" y2="${y(b.value + b.ci)}" stroke="black"/>`,
    );
    body.push(`<text x="${cx}" y="${H - PAD.b + 16}" text-anchor="middle">${esc(b.label)}</text>`);
  });
  body.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(0)}" y2="${y(0)}" stroke="black"/>`);
  return frame(title, body, yLabel);
}

/** Lines over x (one series per name), with optional dashed "predicted" twins. */
export function lineChart(
  title: string,
  xLabel: string,
  yLabel: string,
  series: { name: string; points: [number, number][]; dashed?: boolean; color: string }[],
): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1, hi] = [Math.min(...xs), Math.max(...xs), Math.max(...ys, 1e-9)];
  const x = (v: number) => PAD.l + ((v - x0) / (x1 - x0 || 1)) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + ((hi - v) / hi) * (H - PAD.t - PAD.b);
  const body = yAxis(0, hi, y);
  for (const v of [...new Set(xs)])
    body.push(`<text x="${x(v)}" y="${H - PAD.b + 16}" text-anchor="middle">${v}</text>`);
  body.push(`<text x="${W / 2}" y="${H - PAD.b + 34}" text-anchor="middle">${esc(xLabel)}</text>`);
  series.forEach((s, i) => {
    const d = s.points.map(([a, b]) => `${x(a)},${y(b)}`).join(" ");
    const dash = s.dashed ? ' stroke-dasharray="5,4"' : "";
    body.push(`<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    const ly = H - 12 - 0 * i;
    body.push(`<text x="${PAD.l + i * 135}" y="${ly}" fill="${s.color}">${esc(s.name)}</text>`);
  });
  return frame(title, body, yLabel);
}
