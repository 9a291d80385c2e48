/**
 * docs/benchmarks.md, generated from one bench report: everything in it comes from the report, so running
 * `npm run bench -- --write-docs` again on the same commit and machine reproduces it (up to noise).
 */
import { BENCH_DATABASE, type BenchReport, type RateResult } from './bench-report.ts';
import { EXITED_BACKENDS_GROUP, POSTGRES_SERVER_GROUP } from './cpu-attribution.ts';

/** The chart's path relative to docs/. */
export const DOCS_CHART = 'benchmarks/bench-sweep.svg';
export const HISTORY_DOC = 'benchmarks/history.md';

const SERVICE_ORDER = ['order', 'inventory', 'payment', 'notification'];
const DATABASE_ORDER = ['orders', 'inventory', 'payments', 'notifications'];

function num(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : num(value, value < 100 ? 1 : 0);
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function ordered(keys: Iterable<string>, preferred: readonly string[]): string[] {
  const all = [...new Set(keys)];
  return [...preferred.filter((k) => all.includes(k)), ...all.filter((k) => !preferred.includes(k)).sort()];
}

function rateLabel(r: RateResult): string {
  return `${r.rate}/s${r.phase === 'search' ? ' (search)' : ''}`;
}

function ceilingsSection(report: BenchReport): string {
  const { pgbench, pgbenchBatched, producer, idleLatency } = report.ceilings;
  const durability = 'fsync on, synchronous_commit on';
  return table(
    ['ceiling (measured in this run)', 'result', 'floor per unit'],
    [
      [
        `PostgreSQL, single-row insert per commit (pgbench, ${pgbench.clients} clients, ${pgbench.seconds} s, ${durability})`,
        `**${num(pgbench.commitsPerSecond)} commits/s**`,
        `${num(pgbench.postgresCpuUsPerCommit)} µs PostgreSQL CPU per commit (= per row); ${num(pgbench.machineCpuUsPerCommit)} µs machine CPU per commit`,
      ],
      [
        `PostgreSQL, ${pgbenchBatched.rowsPerCommit}-row insert per commit (pgbench, ${pgbenchBatched.clients} clients, ${pgbenchBatched.seconds} s)`,
        `${num(pgbenchBatched.commitsPerSecond)} commits/s = **${num(pgbenchBatched.rowsPerSecond)} rows/s**`,
        `${num(pgbenchBatched.postgresCpuUsPerRow, 1)} µs PostgreSQL CPU per row; ${num(pgbenchBatched.postgresCpuUsPerCommit)} µs per commit`,
      ],
      [
        `Kafka ProducerPerformance (acks=all, idempotent, ${producer.recordBytes}-byte records, ${producer.partitions} partitions, RF ${producer.replicationFactor}, ${num(producer.records)} records)`,
        `**${num(producer.recordsPerSecond)} records/s** (${num(producer.mbPerSecond, 1)} MB/s; latency avg ${num(producer.avgLatencyMs, 1)} ms, p99 ${num(producer.p99LatencyMs)} ms)`,
        producer.brokerCpuUsPerRecord === null
          ? 'broker CPU not measured (the broker is not a local process)'
          : `${num(producer.brokerCpuUsPerRecord, 1)} µs broker CPU per record`,
      ],
      [
        `One order placed→final on the idle stack (${idleLatency.orders} orders, one after the other)`,
        `**${num(idleLatency.medianMs)} ms** median`,
        `each: ${idleLatency.placedToFinalMs.map((v) => num(v)).join(', ')} ms`,
      ],
    ],
  );
}

function perRateSection(runs: readonly RateResult[]): string {
  return table(
    [
      'rate',
      'sent',
      'accepted/s',
      'settled/s (window)',
      '503s',
      'placed→final p50 / p95 / p99 / max (ms)',
      'reconciliation',
      'sustained',
    ],
    runs.map((r) => [
      rateLabel(r),
      num(r.sent),
      num(r.acceptedPerSecond, 1),
      num(r.settledPerSecond, 1),
      num(r.rejected503),
      [r.placedToFinalMs.p50, r.placedToFinalMs.p95, r.placedToFinalMs.p99, r.placedToFinalMs.max].map(ms).join(' / '),
      r.reconciliation.ok ? 'clean' : `**failed**: ${r.reconciliation.summary}`,
      r.sustained ? 'yes' : 'no',
    ]),
  );
}

function cpuSection(report: BenchReport): string {
  const runs = report.runs;
  const { pgbench, pgbenchBatched, producer } = report.ceilings;
  const processLabels = ordered(
    runs.flatMap((r) => Object.keys(r.cpuMsPerOrder?.processes ?? {})),
    [...SERVICE_ORDER, 'broker', 'generator', 'bench'],
  );
  const pgGroups = ordered(
    runs.flatMap((r) => Object.keys(r.cpuMsPerOrder?.postgres ?? {})),
    [...DATABASE_ORDER, POSTGRES_SERVER_GROUP, EXITED_BACKENDS_GROUP, BENCH_DATABASE],
  );
  const names: Record<string, string> = {
    order: 'Order Service',
    inventory: 'Inventory Service',
    payment: 'Payment Service',
    notification: 'Notification Service',
    broker: 'Kafka broker',
    generator: 'load generator (not the stack)',
    bench: 'bench sampler (not the stack)',
  };
  const floor: Record<string, string> = {
    broker: [
      producer.brokerCpuUsPerRecord === null ? '' : `${num(producer.brokerCpuUsPerRecord, 1)} µs per produced record`,
      report.settings.kafka.broker === 'already running'
        ? '(a broker that was already running: its other clients count too)'
        : '',
    ]
      .filter((part) => part !== '')
      .join(' '),
    [BENCH_DATABASE]: 'not the stack: the bench reading pg_stat_activity and pg_stat_statements',
    [POSTGRES_SERVER_GROUP]: 'WAL writer, checkpointer, … (shared)',
    [EXITED_BACKENDS_GROUP]: 'last slice of backends that closed between samples',
  };
  const cell = (value: number | undefined) => (value === undefined ? '—' : num(value, 2));
  const rows: string[][] = [
    ...processLabels.map((label) => [
      names[label] ?? label,
      ...runs.map((r) => cell(r.cpuMsPerOrder?.processes[label])),
      floor[label] ?? '',
    ]),
    ...pgGroups.map((group) => [
      DATABASE_ORDER.includes(group) || group === BENCH_DATABASE
        ? `PostgreSQL, database ${group}`
        : `PostgreSQL, ${group}`,
      ...runs.map((r) => cell(r.cpuMsPerOrder?.postgres[group])),
      floor[group] ?? '',
    ]),
    [
      '**PostgreSQL, all**',
      ...runs.map((r) => `**${cell(r.cpuMsPerOrder?.postgresTotal)}**`),
      `${num(pgbench.postgresCpuUsPerCommit)} µs per single-row commit, ${num(pgbenchBatched.postgresCpuUsPerRow, 1)} µs per batched row`,
    ],
    [
      '**stack: services + broker + PostgreSQL**',
      ...runs.map((r) => `**${cell(r.cpuMsPerOrder?.stack)}**`),
      `target ≤ 3 ms`,
    ],
    [
      'stack, whole run (first order sent → last settled, per settled order)',
      ...runs.map((r) => cell(r.wholeRun.cpuMsPerOrder?.stack)),
      'the cost per order even when the stack fell behind',
    ],
    [
      'whole machine (/proc/stat, everything on it)',
      ...runs.map((r) => cell(r.cpuMsPerOrder?.machine)),
      `${report.machine.cpus} cores = ${num((report.machine.cpus * 1_000) / 500, 1)} ms per order at 500/s`,
    ],
    [
      'event loops busy, % (order / inventory / payment / notification)',
      ...runs.map((r) =>
        r.eventLoopBusy == null
          ? '—'
          : SERVICE_ORDER.map((service) => {
              const busy = r.eventLoopBusy?.[service];
              return busy === undefined ? '—' : num(busy * 100, 0);
            }).join(' / '),
      ),
      'near 100: the service cannot take more, whatever the CPU left',
    ],
    [
      'cores busy: machine / stack PostgreSQL',
      ...runs.map((r) =>
        r.coresBusy === null ? '—' : `${num(r.coresBusy.machine, 2)} / ${num(r.coresBusy.postgresTotal, 2)}`,
      ),
      '',
    ],
  ];
  return table(['CPU ms per settled order', ...runs.map(rateLabel), 'floor (ceilings above)'], rows);
}

function statementsSection(report: BenchReport): string {
  const runs = report.runs;
  const databases = ordered(
    runs.flatMap((r) => Object.keys(r.statementsPerOrder?.perDatabase ?? {})),
    DATABASE_ORDER,
  );
  const cell = (value: number | undefined) => (value === undefined ? '—' : num(value, 1));
  const main = table(
    ['per settled order: SQL statements, then WAL', ...runs.map(rateLabel)],
    [
      ...databases.map((db) => [db, ...runs.map((r) => cell(r.statementsPerOrder?.perDatabase[db]))]),
      ['**all four databases** (target ≤ 15)', ...runs.map((r) => `**${cell(r.statementsPerOrder?.total)}**`)],
      [
        'all four, whole run (first order sent → last settled)',
        ...runs.map((r) => cell(r.wholeRun.statementsPerOrder?.total)),
      ],
      [
        'foreign-key checks PostgreSQL ran inside them (not counted above)',
        ...runs.map((r) => cell(r.statementsPerOrder?.foreignKeyChecks)),
      ],
      ['WAL records written (pg_stat_wal, the whole server)', ...runs.map((r) => cell(r.walPerOrder?.records))],
      ['of which full-page images', ...runs.map((r) => cell(r.walPerOrder?.fullPageImages))],
      ['WAL kB written', ...runs.map((r) => cell(r.walPerOrder == null ? undefined : r.walPerOrder.bytes / 1_024))],
    ],
  );
  const busiest = [...runs]
    .filter((r) => r.statementsPerOrder !== null)
    .sort((a, b) => b.settledPerSecond - a.settledPerSecond)[0];
  if (busiest === undefined) return main;
  const top = table(
    ['database', 'statement', 'calls per order', 'rows per order', 'execution ms per order'],
    (busiest.statementsPerOrder?.top ?? []).map((t) => [
      t.database,
      `\`${t.query.replaceAll('|', '\\|').replaceAll('`', "'")}\``,
      num(t.callsPerOrder, 2),
      t.rowsPerOrder === undefined ? 'n/a' : num(t.rowsPerOrder, 1),
      t.execMsPerOrder === undefined ? 'n/a' : num(t.execMsPerOrder, 3),
    ]),
  );
  const exec = busiest.statementsPerOrder?.execMsPerDatabase;
  const execLine =
    exec === undefined
      ? ''
      : `\n\nExecution time per order (pg_stat_statements, waits such as a COMMIT's WAL flush included): ${Object.entries(
          exec,
        )
          .map(([db, ms]) => `${db} ${num(ms, 3)} ms`)
          .join(', ')}.`;
  return `${main}\n\nThe statements that took the most execution time at ${rateLabel(busiest)} (the run that settled the most per second), most first:\n\n${top}${execLine}`;
}

export function renderBenchMarkdown(report: BenchReport, reportPath: string): string {
  const s = report.settings;
  const best = report.highestSustainable;
  const notes: string[] = [];
  if (s.quick)
    notes.push('a `--quick` run (CI-sized: short and few rates): the figures show the shape, not the capacity');
  else if (s.durationSeconds < 60 || s.rates.length < 5)
    notes.push(`a custom run (${s.rates.join(', ')}/s, ${s.durationSeconds} s each)`);
  if (report.dirty) notes.push('the worktree had uncommitted changes');
  const warmedUp = !s.warmUp
    ? 'The rates ran on the freshly started stack, with no warm-up before them.'
    : `Before the first rate, the freshly started stack ran ${s.warmUp.seconds} s at ${s.warmUp.rate}/s, not measured (a fresh broker and fresh services spend minutes of CPU on their JIT compilers and caches, which the first rate would be charged for); it settled ${num(s.warmUp.settledPerSecond)}/s with a placed→final p99 of ${s.warmUp.placedToFinalP99Ms === null ? '–' : `${num(s.warmUp.placedToFinalP99Ms)} ms`}.`;
  const load = report.machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(', ');
  return `# Benchmarks

<!-- Generated by \`npm run bench -- --write-docs\` from ${reportPath}: edit tools/src/bench/render-markdown.ts, not this file. -->

Produced by \`${report.command}\` at commit \`${report.commit}\`${report.dirty ? ' (with uncommitted changes)' : ''} on
${report.generatedAt.slice(0, 10)}: ${report.machine.cpus} × ${report.machine.model}, ${num(report.machine.memoryGiB)} GiB, ${report.machine.kernel};
load average at start ${load}. ${report.software.node}, ${report.software.postgres}, Kafka ${report.software.kafka}.
${notes.length > 0 ? `\n**Note:** ${notes.join('; ')}.\n` : ''}
Everything ran on this one machine: the four services, the Kafka broker (${s.kafka.broker}), a private PostgreSQL
server started for the run (its own \`initdb\`, ${Object.entries(s.postgres)
    .filter(([k]) => ['fsync', 'synchronous_commit', 'full_page_writes', 'max_connections'].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}) and the load generator. Durability is production's: idempotent producers with acks=all, every
commit flushed, offsets committed after the database commit. Figures from a machine shared with other work are
noisy: compare runs made back to back, and read the "whole machine" CPU row against the stack's own.

## Highest sustainable rate

**${best.rate === null ? 'none of the rates tried' : `${best.rate} orders/s`}** — ${best.criterion}; rates tried:
${report.runs.map((r) => `${r.rate}/s ${r.sustained ? '✓' : '✗'}`).join(', ')} (${s.durationSeconds} s each, ${best.searchSteps} search step(s) after the sweep).

## Ceilings of this machine

${ceilingsSection(report)}

## Per rate

Open-model load (each order sent at its time whatever happened to the earlier ones), ${s.durationSeconds} s per
rate, then up to ${s.drainSeconds} s for the last orders to settle and the load tool's reconciliation (every
accepted order final, stock conserved, one notification per order and channel, captured − refunded = the
confirmed orders' total). The steady-state window is second ${s.warmupSeconds} to ${s.durationSeconds} of each
run; "settled/s" and everything per order below count the orders that settled inside it. ${warmedUp}

${perRateSection(report.runs)}

![placed→final latency and throughput per rate](${DOCS_CHART})

## CPU per order, per component

From \`/proc/<pid>/stat\` (utime + stime) over the steady-state window, divided by the orders settled in it.
PostgreSQL is the private server only, by database: every ${'250 ms'} the bench maps backend pids to databases with
\`pg_stat_activity\` and charges each backend's CPU delta to its database (pools open and close backends, so pids
come and go); the server's own processes are "postgres (server)".

${cpuSection(report)}

## SQL statements and WAL per order

\`pg_stat_statements\` calls over the steady-state window (reset before each rate), divided by the orders settled
in it: the statements the services send, BEGIN and COMMIT included (each is a round trip); the foreign-key checks
PostgreSQL runs inside them are counted apart. The WAL rows are \`pg_stat_wal\` over the same window: a
full-page image is the whole 8 kB page logged at its first change after a checkpoint.

${statementsSection(report)}

## Reproduce

\`\`\`sh
npm ci && ${report.command}
\`\`\`

The report is \`${reportPath}\` (git-ignored; the chart is copied to [docs/${DOCS_CHART}](${DOCS_CHART})). Hand-run
measurements from before this generator, with their own method and commits, are kept in [${HISTORY_DOC}](${HISTORY_DOC}).
`;
}
