import type { LagStatus } from './burrow-status.ts';
import type { GroupLag, PartitionLag } from './lag-reader.ts';

/** Columns of `kafka-consumer-groups --describe` (up to LAG), then ours. */
export const LAG_COLUMNS = [
  'GROUP',
  'TOPIC',
  'PARTITION',
  'CURRENT-OFFSET',
  'LOG-END-OFFSET',
  'LAG',
  'TIME-LAG',
  'STATUS',
] as const;
/** Spaces between columns. */
const COLUMN_GAP = 2;
const MS_PER_SECOND = 1_000;
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;

/** 850ms, 12.3s, 10m02s, 3h05m: short enough for a column, exact enough to compare two readings. */
export function formatDuration(ms: number): string {
  if (ms < MS_PER_SECOND) return `${Math.round(ms)}ms`;
  if (ms < MS_PER_MINUTE) return `${(ms / MS_PER_SECOND).toFixed(1)}s`;
  if (ms < MS_PER_HOUR) {
    const minutes = Math.floor(ms / MS_PER_MINUTE);
    return `${minutes}m${String(Math.floor((ms % MS_PER_MINUTE) / MS_PER_SECOND)).padStart(2, '0')}s`;
  }
  const hours = Math.floor(ms / MS_PER_HOUR);
  return `${hours}h${String(Math.floor((ms % MS_PER_HOUR) / MS_PER_MINUTE)).padStart(2, '0')}m`;
}

/** '-' without a commit (as kafka-consumer-groups), '?' unreadable, '>=' a lower bound (record deleted). */
export function formatTimeLag(partition: PartitionLag): string {
  if (partition.timeLagMs === undefined) return partition.timeLagSource === 'unreadable' ? '?' : '-';
  const text = formatDuration(partition.timeLagMs);
  return partition.timeLagSource === 'log-start' ? `>=${text}` : text;
}

function row(group: GroupLag, partition: PartitionLag, status: string): string[] {
  return [
    group.group,
    partition.topic,
    String(partition.partition),
    partition.committedOffset === undefined ? '-' : String(partition.committedOffset),
    String(partition.logEndOffset),
    partition.lag === undefined ? '-' : String(partition.lag),
    formatTimeLag(partition),
    status,
  ];
}

/**
 * The table of `lag`: one row per partition, like `kafka-consumer-groups --describe`, the group's status
 * on each of its rows ('n/a' when none was computed). A group with no partitions or an error gets one row
 * of dashes, so every requested group appears; errors are listed below the table.
 */
export function formatLagTable(groups: readonly GroupLag[], statuses: ReadonlyMap<string, LagStatus>): string {
  const rows: string[][] = [[...LAG_COLUMNS]];
  const errors: string[] = [];
  for (const group of groups) {
    const status = group.error !== undefined ? 'ERR' : (statuses.get(group.group) ?? 'n/a');
    if (group.error !== undefined) errors.push(`error: ${group.group}: ${group.error}`);
    if (group.partitions.length === 0) rows.push([group.group, '-', '-', '-', '-', '-', '-', status]);
    for (const partition of group.partitions) rows.push(row(group, partition, status));
  }
  const widths = LAG_COLUMNS.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? '').length)));
  const lines = rows.map((cells) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd((widths[column] ?? 0) + COLUMN_GAP)))
      .join(''),
  );
  return `${[...lines, ...errors].join('\n')}\n`;
}

/** `--json`: offsets as decimal strings (they are 64-bit), the group's status and state. */
export function lagToJson(groups: readonly GroupLag[], statuses: ReadonlyMap<string, LagStatus>): unknown {
  return groups.map((group) => ({
    group: group.group,
    state: group.state,
    members: group.members,
    status: group.error !== undefined ? 'ERR' : (statuses.get(group.group) ?? null),
    readAt: new Date(group.readAt).toISOString(),
    ...(group.error === undefined ? {} : { error: group.error }),
    partitions: group.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      committedOffset: p.committedOffset?.toString() ?? null,
      logStartOffset: p.logStartOffset.toString(),
      logEndOffset: p.logEndOffset.toString(),
      lag: p.lag?.toString() ?? null,
      timeLagMs: p.timeLagMs ?? null,
      timeLagSource: p.timeLagSource,
    })),
  }));
}
