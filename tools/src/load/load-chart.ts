import type { LoadReport } from './load-run.ts';

const WIDTH = 900;
const HEIGHT = 420;
const MARGIN = { top: 40, right: 70, bottom: 45, left: 70 };

/**
 * A dependency-free SVG of a load run: orders sent and completed per second (bars, right axis) and
 * placed→final p50/p99 per second (lines, left axis), with the target p99 as a dashed line.
 */
export function renderLoadChart(report: LoadReport, targetP99Ms: number): string {
  const points = report.timeline;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const seconds = Math.max(1, ...points.map((p) => p.second + 1));
  const maxLatency = Math.max(targetP99Ms * 1.2, ...points.map((p) => p.p99Ms ?? 0));
  const maxRate = Math.max(1, ...points.map((p) => Math.max(p.sent, p.completed)));
  const x = (s: number) => MARGIN.left + (s / seconds) * plotW;
  const yLat = (ms: number) => MARGIN.top + plotH - (ms / maxLatency) * plotH;
  const yRate = (n: number) => MARGIN.top + plotH - (n / maxRate) * plotH;
  const barW = Math.max(1, plotW / seconds / 2 - 1);
  const line = (key: 'p50Ms' | 'p99Ms') =>
    points
      .filter((p) => p[key] !== null)
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.second + 0.5).toFixed(1)},${yLat(p[key] ?? 0).toFixed(1)}`)
      .join(' ');
  const ticks = (max: number, count: number) => Array.from({ length: count + 1 }, (_, i) => (max / count) * i);
  const r = report.placedToFinalMs;
  const title =
    `Load: ${report.options.rate}/s for ${report.options.durationSeconds} s, accepted ${report.throughput.acceptedPerSecond.toFixed(0)}/s; ` +
    `placed→final p50 ${r.p50 ?? '-'} ms, p99 ${r.p99 ?? '-'} ms; reconciliation ${report.reconciliation.ok ? 'clean' : 'FAILED'}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="13">${title}</text>
${points
  .map(
    (p) =>
      `<rect x="${(x(p.second) + 1).toFixed(1)}" y="${yRate(p.sent).toFixed(1)}" width="${barW.toFixed(1)}" height="${(MARGIN.top + plotH - yRate(p.sent)).toFixed(1)}" fill="#c6dbef"/>` +
      `<rect x="${(x(p.second) + 1 + barW).toFixed(1)}" y="${yRate(p.completed).toFixed(1)}" width="${barW.toFixed(1)}" height="${(MARGIN.top + plotH - yRate(p.completed)).toFixed(1)}" fill="#a1d99b"/>`,
  )
  .join('\n')}
<path d="${line('p50Ms')}" fill="none" stroke="#3182bd" stroke-width="2"/>
<path d="${line('p99Ms')}" fill="none" stroke="#de2d26" stroke-width="2"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yLat(targetP99Ms)}" y2="${yLat(targetP99Ms)}" stroke="#de2d26" stroke-dasharray="6,4"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="black"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="black"/>
${ticks(maxLatency, 5)
  .map((ms) => `<text x="${MARGIN.left - 6}" y="${yLat(ms) + 4}" text-anchor="end">${ms.toFixed(0)}</text>`)
  .join('\n')}
${ticks(maxRate, 5)
  .map((n) => `<text x="${MARGIN.left + plotW + 6}" y="${yRate(n) + 4}">${n.toFixed(0)}</text>`)
  .join('\n')}
${ticks(seconds, Math.min(10, seconds))
  .map((s) => `<text x="${x(s)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${s.toFixed(0)}</text>`)
  .join('\n')}
<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">seconds since start</text>
<text x="16" y="${MARGIN.top + plotH / 2}" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})" text-anchor="middle">placed→final latency (ms)</text>
<text x="${WIDTH - 14}" y="${MARGIN.top + plotH / 2}" transform="rotate(90 ${WIDTH - 14} ${MARGIN.top + plotH / 2})" text-anchor="middle">orders per second</text>
<g transform="translate(${MARGIN.left + 10},${MARGIN.top + 8})">
<rect width="10" height="10" fill="#c6dbef"/><text x="14" y="9">sent/s</text>
<rect x="70" width="10" height="10" fill="#a1d99b"/><text x="84" y="9">completed/s</text>
<line x1="170" x2="190" y1="5" y2="5" stroke="#3182bd" stroke-width="2"/><text x="194" y="9">p50</text>
<line x1="230" x2="250" y1="5" y2="5" stroke="#de2d26" stroke-width="2"/><text x="254" y="9">p99</text>
<line x1="290" x2="310" y1="5" y2="5" stroke="#de2d26" stroke-dasharray="6,4"/><text x="314" y="9">target p99 ${targetP99Ms} ms</text>
</g>
</svg>
`;
}
