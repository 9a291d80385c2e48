/**
 * Turns the services' pino JSON lines into short, prefixed, human lines for `npm start`.
 * Lines that are not JSON (a crash trace, a warning from Node) are passed through unchanged.
 */
const LEVEL_LABELS: Record<string, string> = {
  trace: 'TRC',
  debug: 'DBG',
  info: 'INF',
  warn: 'WRN',
  error: 'ERR',
  fatal: 'FTL',
};
const OMITTED_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

export function formatLogLine(prefix: string, line: string): string {
  if (!line.startsWith('{')) return `${prefix} ${line}`;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
    const level = LEVEL_LABELS[String(entry.level)] ?? String(entry.level);
    const extra = Object.entries(entry)
      .filter(([key]) => !OMITTED_FIELDS.has(key))
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    return `${prefix} ${time} ${level} ${String(entry.msg ?? '')}${extra ? ` ${extra}` : ''}`;
  } catch {
    return `${prefix} ${line}`;
  }
}
