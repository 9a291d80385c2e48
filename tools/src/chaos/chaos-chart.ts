/**
 * A dependency-free SVG of a chaos run: offered and settled orders per second (bars, right axis), placed→final
 * p50/p99 of the orders settled in each second (lines, left axis, logarithmic: a fault's seconds-long tail and
 * a calm p50 of tens of ms both stay readable), and each fault as a shaded band from its start until it was
 * healed, labelled with its number (the table's order).
 */
import type { ChaosReport } from './chaos-run.ts';

const WIDTH = 1_100;
const HEIGHT = 460;
const MARGIN = { top: 50, right: 70, bottom: 70, left: 70 };
const MIN_LATENCY_MS = 10;

export function renderChaosChart(report: ChaosReport): string {
  const { timeline } = report;
  const seconds = Math.max(1, timeline.settled.length);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const startMs = Date.parse(report.startedAt);
  const maxRate = Math.max(1, ...timeline.offered, ...timeline.settled);
  const maxLatency = Math.max(1_000, ...timeline.p99Ms.map((v) => v ?? 0));
  const logSpan = Math.log10(maxLatency) - Math.log10(MIN_LATENCY_MS);
  const x = (s: number) => MARGIN.left + (s / seconds) * plotW;
  const yRate = (n: number) => MARGIN.top + plotH - (n / maxRate) * plotH;
  const yLat = (ms: number) =>
    MARGIN.top + plotH - ((Math.log10(Math.max(MIN_LATENCY_MS, ms)) - Math.log10(MIN_LATENCY_MS)) / logSpan) * plotH;
  const barW = Math.max(0.5, plotW / seconds / 2);
  const path = (values: Array<number | null>) =>
    values
      .map((v, s) => (v === null ? '' : `${x(s + 0.5).toFixed(1)},${yLat(v).toFixed(1)}`))
      .filter((p) => p !== '')
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${p}`)
      .join(' ');
  const bands = report.faults
    .map((fault, index) => {
      const from = (fault.startedAtMs - startMs) / 1_000;
      const to = Math.max(from + 0.5, (fault.healedAtMs - startMs) / 1_000);
      return (
        `<rect x="${x(from).toFixed(1)}" y="${MARGIN.top}" width="${(x(to) - x(from)).toFixed(1)}" height="${plotH}" fill="#fdd0a2" opacity="0.45"/>` +
        `<line x1="${x(from).toFixed(1)}" x2="${x(from).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#e6550d"/>` +
        `<text x="${(x(from) + 2).toFixed(1)}" y="${MARGIN.top + 12 + (index % 2) * 12}" fill="#a63603">${index + 1}</text>`
      );
    })
    .join('\n');
  const legend = report.faults.map((fault, index) => `${index + 1} ${fault.name} (${fault.target})`).join('   ');
  const latencyTicks = [10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000].filter((ms) => ms <= maxLatency);
  const rateTicks = Array.from({ length: 6 }, (_, i) => (maxRate / 5) * i);
  const timeTicks = Array.from({ length: 11 }, (_, i) => Math.round((seconds / 10) * i));
  const title =
    `Chaos: ${report.options.rate} orders/s for ${report.options.durationSeconds} s, ${report.options.instances} instances per service; ` +
    `${report.load.accepted} accepted; invariants ${report.check.ok ? 'all hold' : 'VIOLATED'}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="13">${escapeXml(title)}</text>
${bands}
${timeline.offered
  .map(
    (n, s) =>
      `<rect x="${x(s).toFixed(1)}" y="${yRate(n).toFixed(1)}" width="${barW.toFixed(1)}" height="${(MARGIN.top + plotH - yRate(n)).toFixed(1)}" fill="#c6dbef"/>` +
      `<rect x="${(x(s) + barW).toFixed(1)}" y="${yRate(timeline.settled[s] ?? 0).toFixed(1)}" width="${barW.toFixed(1)}" height="${(MARGIN.top + plotH - yRate(timeline.settled[s] ?? 0)).toFixed(1)}" fill="#74c476"/>`,
  )
  .join('\n')}
<path d="${path(timeline.p50Ms)}" fill="none" stroke="#3182bd" stroke-width="1.5"/>
<path d="${path(timeline.p99Ms)}" fill="none" stroke="#de2d26" stroke-width="1.5"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="black"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="black"/>
${latencyTicks.map((ms) => `<text x="${MARGIN.left - 6}" y="${yLat(ms) + 4}" text-anchor="end">${ms >= 1_000 ? `${ms / 1_000} s` : `${ms} ms`}</text>`).join('\n')}
${rateTicks.map((n) => `<text x="${MARGIN.left + plotW + 6}" y="${yRate(n) + 4}">${n.toFixed(0)}</text>`).join('\n')}
${timeTicks.map((s) => `<text x="${x(s)}" y="${MARGIN.top + plotH + 15}" text-anchor="middle">${s}</text>`).join('\n')}
<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 30}" text-anchor="middle">seconds since the load started</text>
<text x="${MARGIN.left}" y="${HEIGHT - 10}" fill="#a63603">${escapeXml(legend)}</text>
<text x="16" y="${MARGIN.top + plotH / 2}" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})" text-anchor="middle">placed→final latency (log)</text>
<text x="${WIDTH - 14}" y="${MARGIN.top + plotH / 2}" transform="rotate(90 ${WIDTH - 14} ${MARGIN.top + plotH / 2})" text-anchor="middle">orders per second</text>
<g transform="translate(${MARGIN.left + 10},${MARGIN.top - 14})">
<rect width="10" height="10" fill="#c6dbef"/><text x="14" y="9">offered/s</text>
<rect x="80" width="10" height="10" fill="#74c476"/><text x="94" y="9">settled/s</text>
<line x1="160" x2="180" y1="5" y2="5" stroke="#3182bd" stroke-width="2"/><text x="184" y="9">p50</text>
<line x1="220" x2="240" y1="5" y2="5" stroke="#de2d26" stroke-width="2"/><text x="244" y="9">p99</text>
<rect x="280" width="10" height="10" fill="#fdd0a2"/><text x="294" y="9">fault until healed</text>
</g>
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
