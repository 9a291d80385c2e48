/**
 * `npm run load -- --rate 500 --duration 60`: open-model load against a running stack (npm start), with a
 * live progress line, then a report printed and written as JSON (and an SVG chart) under reports/.
 * Exits non-zero when the reconciliation fails or, with --assert, when a target is missed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { localAuthSecret } from '../auth/local-secret.ts';
import { renderLoadChart } from './load-chart.ts';
import { type LoadProgress, type LoadReport, runLoad } from './load-run.ts';

/** The target: p99 placed→final under this many milliseconds. */
export const TARGET_P99_MS = 500;
const REPORTS_DIR = new URL('../../../reports/', import.meta.url).pathname;

function progressLine(p: LoadProgress, total: number): string {
  const width = 24;
  const done = Math.min(width, Math.round((p.sent / total) * width));
  const bar = `${'#'.repeat(done)}${'.'.repeat(width - done)}`;
  const p99 = p.currentP99Ms === undefined ? '-' : `${p.currentP99Ms.toFixed(0)} ms`;
  return `[${bar}] ${p.elapsedSeconds.toFixed(0).padStart(4)} s  sent ${p.sent}/${total}  accepted ${p.accepted}  completed ${p.completed}  in-flight ${p.inFlight}  errors ${p.errors}  p99(5s) ${p99}`;
}

function printReport(report: LoadReport): void {
  const lat = report.placedToFinalMs;
  const acc = report.acceptMs;
  const r = report.reconciliation;
  const lines = [
    '',
    `Load report (${report.startedAt})`,
    `  target rate          ${report.options.rate}/s for ${report.options.durationSeconds} s`,
    `  sent / accepted      ${report.sent} / ${report.accepted} (rejected ${report.rejected}, errors ${JSON.stringify(report.errors)})`,
    `  accepted/s           ${report.throughput.acceptedPerSecond.toFixed(1)}`,
    `  completed/s          ${report.throughput.completedPerSecond.toFixed(1)} (confirmed ${report.completed.confirmed}, cancelled ${report.completed.cancelled}, pending at end ${report.completed.pendingAtEnd})`,
    `  placed→final ms      p50 ${lat.p50} p95 ${lat.p95} p99 ${lat.p99} max ${lat.max}`,
    `  POST /orders ms      p50 ${acc.p50?.toFixed(1)} p95 ${acc.p95?.toFixed(1)} p99 ${acc.p99?.toFixed(1)} max ${acc.max?.toFixed(1)}`,
    `  generator CPU        ${(report.generatorCpu.userSeconds + report.generatorCpu.systemSeconds).toFixed(1)} s (${(report.generatorCpu.shareOfOneCore * 100).toFixed(0)}% of one core; user ${report.generatorCpu.userSeconds.toFixed(1)} s, system ${report.generatorCpu.systemSeconds.toFixed(1)} s)`,
    `  reconciliation       ${r.ok ? 'CLEAN' : 'FAILED'}: every accepted order final ${r.everyAcceptedOrderFinal}, stock conserved ${r.stockConserved}, ` +
      `notifications ${r.notificationsChecked ? (r.ordersWithWrongNotificationCount.length === 0 ? 'exactly one per channel' : `${r.ordersWithWrongNotificationCount.length} order(s) wrong`) : 'not checked'}`,
    `  payments             ${r.payments.ok ? 'reconciled' : `${r.payments.mismatches.length} order(s) wrong`}: captured ${r.payments.capturedMinor} − refunded ${r.payments.refundedMinor} = ${r.payments.capturedMinor - r.payments.refundedMinor} minor units; confirmed orders total ${r.payments.confirmedTotalMinor}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function loadCommand(): Command {
  return new Command('load')
    .description('Open-model load test against a running stack, with reconciliation')
    .option('--rate <n>', 'orders per second', Number, 500)
    .option('--duration <seconds>', 'how long to send', Number, 60)
    .option('--drain <seconds>', 'how long to wait for orders to settle after sending', Number, 60)
    .option('--scarce-share <0-1>', 'share of orders that include a scarce SKU (both outcomes occur)', Number, 0.05)
    .option('--no-notifications', 'skip the per-order notification check')
    .option('--order-url <url>', 'Order Service', 'http://127.0.0.1:8081')
    .option('--inventory-url <url>', 'Inventory Service', 'http://127.0.0.1:8082')
    .option('--payment-url <url>', 'Payment Service', 'http://127.0.0.1:8083')
    .option('--notification-url <url>', 'Notification Service', 'http://127.0.0.1:8084')
    .option(
      '--secret-file <path>',
      "the stack's HS256 secret (default: $AUTH_JWT_SECRET, $AUTH_JWT_SECRET_FILE, .run/auth-secret)",
    )
    .option('--assert', `exit non-zero unless accepted/s >= 98% of --rate and p99 < ${TARGET_P99_MS} ms`)
    .action(async (options) => {
      const total = Math.round(options.rate * options.duration);
      const interactive = process.stdout.isTTY === true;
      const report = await runLoad({
        urls: {
          order: options.orderUrl,
          inventory: options.inventoryUrl,
          payment: options.paymentUrl,
          notification: options.notificationUrl,
          authSecret: localAuthSecret(process.env, options.secretFile),
        },
        rate: options.rate,
        durationSeconds: options.duration,
        drainSeconds: options.drain,
        scarceShare: options.scarceShare,
        checkNotifications: options.notifications,
        onProgress: (p) => {
          const line = progressLine(p, total);
          process.stdout.write(interactive ? `\r${line}` : `${line}\n`);
        },
      });
      printReport(report);
      await mkdir(REPORTS_DIR, { recursive: true });
      const stamp = report.startedAt.replace(/[:.]/g, '-');
      const jsonPath = join(REPORTS_DIR, `load-${stamp}.json`);
      const svgPath = join(REPORTS_DIR, `load-${stamp}.svg`);
      await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
      await writeFile(svgPath, renderLoadChart(report, TARGET_P99_MS));
      process.stdout.write(`  report               ${jsonPath}\n  chart                ${svgPath}\n`);
      const missed =
        options.assert &&
        (report.throughput.acceptedPerSecond < options.rate * 0.98 ||
          (report.placedToFinalMs.p99 ?? Infinity) >= TARGET_P99_MS);
      if (!report.reconciliation.ok || missed) process.exitCode = 1;
    });
}
