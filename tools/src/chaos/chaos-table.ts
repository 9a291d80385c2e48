/** The text a chaos run prints at its end: the faults with their recovery, then every invariant. */
import type { ChaosReport } from './chaos-run.ts';

const seconds = (value: number | null) => (value === null ? 'not recovered' : `${value.toFixed(1)} s`);

export function formatChaosTable(report: ChaosReport): string {
  const rows = [
    ['at', 'fault', 'target', 'healed after', 'settling resumed', 'backlog cleared', 'peak backlog', 'orders affected'],
    ...report.faults.map((f) => [
      `${f.atSeconds.toFixed(0)} s`,
      f.error === undefined ? f.name : `${f.name} (FAILED: ${f.error})`,
      f.target,
      `${((f.healedAtMs - f.startedAtMs) / 1_000).toFixed(1)} s`,
      f.dipped ? seconds(f.settlingResumedSeconds) : 'no dip',
      seconds(f.backlogClearedSeconds),
      String(f.peakBacklog),
      String(f.ordersAffected),
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  const { check, load } = report;
  const out = [
    `chaos: ${report.options.rate} orders/s for ${report.options.durationSeconds} s, ${report.options.instances} instance(s) per service` +
      (report.options.warmUpSeconds > 0
        ? `, after a ${report.options.warmUpSeconds} s warm-up load (${report.warmUp.accepted} orders, checked, not measured)`
        : ''),
    `orders: ${load.sent} sent, ${load.accepted} accepted (202), ${load.unanswered} never answered, ` +
      `${check.orders.confirmed} confirmed, ${check.orders.cancelled} cancelled (${check.orders.refunded} refunded, ` +
      `${load.cancelledByCustomer} by the customer); retried requests: ${JSON.stringify(load.retries)}`,
    `baseline before the first fault: backlog ${report.baseline.backlog}, placed→final p99 ${report.baseline.p99Ms} ms`,
    '',
    line(rows[0] ?? []),
    ...rows.slice(1).map(line),
    '',
    ...check.invariants.flatMap((i) => [
      `${i.ok ? 'ok  ' : 'FAIL'} ${i.name} (${i.checked} checked${i.ok ? '' : `, ${i.violations} violation(s)`})`,
      ...i.examples.map((example) => `       ${example}`),
    ]),
    ...report.unexpectedExits.map((exit) => `FAIL unexpected exit: ${exit}`),
    '',
    `result: ${report.ok ? 'PASSED' : 'FAILED'}`,
  ];
  return out.join('\n');
}
