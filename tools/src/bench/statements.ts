/**
 * SQL statements per database from pg_stat_statements on the private server: a snapshot at each end of the
 * steady-state window, and the difference. BEGIN and COMMIT are statements too (track_utility is on): each
 * is a round trip the services pay for.
 */
import type pg from 'pg';

export interface StatementRow {
  database: string;
  queryId: string;
  query: string;
  calls: number;
  /** pg_stat_statements total_exec_time, ms: execution, waits included (a COMMIT's WAL flush). */
  totalMs: number;
  /** Rows the statement returned or changed. */
  rows: number;
}

export async function resetStatements(admin: pg.Client): Promise<void> {
  await admin.query('select pg_stat_statements_reset()');
}

export async function snapshotStatements(admin: pg.Client, databases: readonly string[]): Promise<StatementRow[]> {
  const { rows } = await admin.query<{
    database: string;
    queryid: string;
    query: string;
    calls: string;
    total_ms: number;
    rows: string;
  }>(
    `select d.datname as database, s.queryid::text as queryid, s.query, s.calls::text as calls,
            s.total_exec_time as total_ms, s.rows::text as rows
       from pg_stat_statements s join pg_database d on d.oid = s.dbid
      where d.datname = any($1::text[])`,
    [databases],
  );
  return rows.map((r) => ({
    database: r.database,
    queryId: r.queryid,
    query: r.query,
    calls: Number(r.calls),
    totalMs: Number(r.total_ms),
    rows: Number(r.rows),
  }));
}

/**
 * Foreign-key checks: PostgreSQL's RI triggers run these inside the client's statement, so they are no round
 * trip and no statement the services send; counted apart.
 */
export function isForeignKeyCheck(query: string): boolean {
  return /^SELECT 1 FROM ONLY "[^"]+"\."[^"]+" x WHERE /.test(query);
}

export interface StatementsDelta {
  /** Calls per database over the window: the statements the clients sent. */
  perDatabase: Record<string, number>;
  /** Foreign-key checks per database (isForeignKeyCheck), not in perDatabase. */
  foreignKeyChecks: Record<string, number>;
  /** Execution time per database over the window, ms (foreign-key checks are inside their statements). */
  execMsPerDatabase: Record<string, number>;
  /**
   * The statements that took the most execution time over the window, most first (then the most called):
   * where PostgreSQL's time per order goes, beside how often each is sent.
   */
  top: Array<{ database: string; query: string; calls: number; totalMs: number; rows: number }>;
}

/** Calls between two snapshots; a statement new in `after` counts whole (it was first run in between). */
export function statementsDelta(
  before: readonly StatementRow[],
  after: readonly StatementRow[],
  topCount = 12,
): StatementsDelta {
  const key = (r: StatementRow) => `${r.database}\u0000${r.queryId}`;
  const callsBefore = new Map(before.map((r) => [key(r), r]));
  const perDatabase: Record<string, number> = {};
  const execMsPerDatabase: Record<string, number> = {};
  const foreignKeyChecks: Record<string, number> = {};
  const rows: StatementsDelta['top'] = [];
  for (const r of after) {
    const earlier = callsBefore.get(key(r));
    const calls = r.calls - (earlier?.calls ?? 0);
    if (calls <= 0) continue;
    const totalMs = r.totalMs - (earlier?.totalMs ?? 0);
    const changed = r.rows - (earlier?.rows ?? 0);
    execMsPerDatabase[r.database] = (execMsPerDatabase[r.database] ?? 0) + totalMs;
    if (isForeignKeyCheck(r.query)) {
      foreignKeyChecks[r.database] = (foreignKeyChecks[r.database] ?? 0) + calls;
      continue;
    }
    perDatabase[r.database] = (perDatabase[r.database] ?? 0) + calls;
    rows.push({
      database: r.database,
      query: r.query.replace(/\s+/g, ' ').slice(0, 160),
      calls,
      totalMs,
      rows: changed,
    });
  }
  rows.sort((a, b) => b.totalMs - a.totalMs || b.calls - a.calls);
  return { perDatabase, foreignKeyChecks, execMsPerDatabase, top: rows.slice(0, topCount) };
}

/** The server's WAL counters (pg_stat_wal, the whole server: the private one serves the stack only). */
export interface WalCounters {
  records: number;
  /** Full-page images: a page's first change after a checkpoint logs the whole 8 kB page. */
  fullPageImages: number;
  bytes: number;
}

export async function snapshotWal(admin: pg.Client): Promise<WalCounters> {
  const { rows } = await admin.query<{ records: string; fpi: string; bytes: string }>(
    'select wal_records::text as records, wal_fpi::text as fpi, wal_bytes::text as bytes from pg_stat_wal',
  );
  const row = rows[0];
  if (row === undefined) throw new Error('pg_stat_wal returned no row');
  return { records: Number(row.records), fullPageImages: Number(row.fpi), bytes: Number(row.bytes) };
}

/** WAL written per order between two snapshots; null without both or without orders. */
export function walPerOrder(
  from: WalCounters | undefined,
  to: WalCounters | undefined,
  orders: number,
): WalCounters | null {
  if (from === undefined || to === undefined || orders <= 0) return null;
  return {
    records: (to.records - from.records) / orders,
    fullPageImages: (to.fullPageImages - from.fullPageImages) / orders,
    bytes: (to.bytes - from.bytes) / orders,
  };
}
