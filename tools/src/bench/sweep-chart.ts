import { type BenchReport, TARGET_P99_MS } from './bench-report.ts';

const WIDTH = 900;
const HEIGHT = 420;
const MARGIN = { top: 40, right: 70, bottom: 50, left: 70 };
/** Latency axis floor: log scale from here up. */
const MIN_LATENCY_MS = 10;

/**
 * A dependency-free SVG of the sweep: accepted and settled orders/s per rate tried (bars, right axis) and
 * placed→final p50 / p99 (lines, left axis, log scale: a collapsed rate's minute-long p99 would flatten the
 * others on a linear one), with the p99 target as a dashed line.
 */
export function renderSweepChart(report: BenchReport): string {
  const runs = [...report.runs].sort((a, b) => a.rate - b.rate);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotW / Math.max(1, runs.length);
  const maxLatency = Math.max(TARGET_P99_MS * 2, ...runs.map((r) => r.placedToFinalMs.max ?? 0));
  const maxRate = Math.max(1, ...runs.map((r) => Math.max(r.rate, r.acceptedPerSecond)));
  const logMin = Math.log10(MIN_LATENCY_MS);
  const logMax = Math.log10(maxLatency);
  const yLat = (value: number) =>
    MARGIN.top + plotH - ((Math.log10(Math.max(MIN_LATENCY_MS, value)) - logMin) / (logMax - logMin)) * plotH;
  const yRate = (n: number) => MARGIN.top + plotH - (n / maxRate) * plotH;
  const cx = (i: number) => MARGIN.left + slot * (i + 0.5);
  const barW = Math.min(40, slot / 3);
  const line = (key: 'p50' | 'p99') =>
    runs
      .map((r, i) => ({ i, v: r.placedToFinalMs[key] }))
      .filter((p) => p.v !== null)
      .map((p, n) => `${n === 0 ? 'M' : 'L'}${cx(p.i).toFixed(1)},${yLat(p.v ?? 0).toFixed(1)}`)
      .join(' ');
  const decades: number[] = [];
  for (let d = MIN_LATENCY_MS; d <= maxLatency; d *= 10) decades.push(d);
  const best = report.highestSustainable.rate;
  const title = `npm run bench at ${report.commit.slice(0, 10)}: highest sustainable rate ${best === null ? 'none' : `${best}/s`} (p99 < ${TARGET_P99_MS} ms, clean reconciliation)`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="13">${title}</text>
${runs
  .map((r, i) => {
    const accepted = yRate(r.acceptedPerSecond);
    const settled = yRate(r.settledPerSecond);
    return (
      `<rect x="${(cx(i) - barW).toFixed(1)}" y="${accepted.toFixed(1)}" width="${barW.toFixed(1)}" height="${(MARGIN.top + plotH - accepted).toFixed(1)}" fill="#c6dbef"/>` +
      `<rect x="${cx(i).toFixed(1)}" y="${settled.toFixed(1)}" width="${barW.toFixed(1)}" height="${(MARGIN.top + plotH - settled).toFixed(1)}" fill="${r.sustained ? '#a1d99b' : '#fcbba1'}"/>` +
      `<text x="${cx(i).toFixed(1)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${r.rate}/s${r.phase === 'search' ? '*' : ''}</text>`
    );
  })
  .join('\n')}
<path d="${line('p50')}" fill="none" stroke="#3182bd" stroke-width="2"/>
<path d="${line('p99')}" fill="none" stroke="#de2d26" stroke-width="2"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yLat(TARGET_P99_MS).toFixed(1)}" y2="${yLat(TARGET_P99_MS).toFixed(1)}" stroke="#de2d26" stroke-dasharray="6,4"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="black"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="black"/>
${decades.map((d) => `<text x="${MARGIN.left - 6}" y="${(yLat(d) + 4).toFixed(1)}" text-anchor="end">${d >= 1_000 ? `${d / 1_000} s` : `${d} ms`}</text>`).join('\n')}
${[0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${MARGIN.left + plotW + 6}" y="${(yRate(maxRate * f) + 4).toFixed(1)}">${(maxRate * f).toFixed(0)}</text>`).join('\n')}
<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">offered rate (orders/s; * = search step)</text>
<text x="16" y="${MARGIN.top + plotH / 2}" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})" text-anchor="middle">placed→final latency (log)</text>
<text x="${WIDTH - 14}" y="${MARGIN.top + plotH / 2}" transform="rotate(90 ${WIDTH - 14} ${MARGIN.top + plotH / 2})" text-anchor="middle">orders per second</text>
<g transform="translate(${MARGIN.left + 10},${MARGIN.top + 8})">
<rect width="10" height="10" fill="#c6dbef"/><text x="14" y="9">accepted/s</text>
<rect x="90" width="10" height="10" fill="#a1d99b"/><text x="104" y="9">settled/s (sustained)</text>
<rect x="240" width="10" height="10" fill="#fcbba1"/><text x="254" y="9">settled/s (not sustained)</text>
<line x1="410" x2="430" y1="5" y2="5" stroke="#3182bd" stroke-width="2"/><text x="434" y="9">p50</text>
<line x1="470" x2="490" y1="5" y2="5" stroke="#de2d26" stroke-width="2"/><text x="494" y="9">p99</text>
<line x1="530" x2="550" y1="5" y2="5" stroke="#de2d26" stroke-dasharray="6,4"/><text x="554" y="9">target p99 ${TARGET_P99_MS} ms</text>
</g>
</svg>
`;
}
