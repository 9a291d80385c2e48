import { consumer as catalogConsumer, FAILURE_HEADERS, HEADERS } from '@shop/contracts';
import { coordinatesOf, type DeadLetter, eventIdOf, headerCount, headerText, replayCountOf } from './dead-letter.ts';
import type { ReplayDecision } from './dlt-replay.ts';

/** Error messages are cut to this many characters in one-line listings (`show` prints them whole). */
export const LIST_MESSAGE_WIDTH = 80;

/** A dead letter as `list --json` prints it: the triage fields, decoded. */
export interface DeadLetterView {
  topic: string;
  partition: number;
  offset: string;
  deadLetteredAt: string;
  consumerId: string;
  consumerGroup: string;
  key: string | null;
  eventId: string | null;
  eventType: string | null;
  errorCode: string | null;
  errorKind: string | null;
  errorMessage: string | null;
  originalTopic: string | null;
  originalPartition: number | null;
  originalOffset: string | null;
  attempts: number;
  replayCount: number;
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  replayedAt: string | null;
  replayedBy: string | null;
}

/** A dead letter in full, as `show --json` prints it. */
export interface DeadLetterDetail extends DeadLetterView {
  headers: Record<string, string>;
  /** The value: parsed JSON, else UTF-8 text, else base64 (see `valueEncoding`). */
  value: unknown;
  valueEncoding: 'json' | 'text' | 'base64' | 'none';
}

const orNull = (value: string | undefined) => value ?? null;

export function toView(record: DeadLetter): DeadLetterView {
  const text = (name: string) => orNull(headerText(record, name));
  const originalPartition = headerText(record, FAILURE_HEADERS.originalPartition);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset.toString(),
    deadLetteredAt: new Date(record.timestamp).toISOString(),
    consumerId: record.consumerId,
    consumerGroup: text(FAILURE_HEADERS.consumerGroup) ?? catalogConsumer(record.consumerId).groupId,
    key: orNull(record.key),
    eventId: orNull(eventIdOf(record)),
    eventType: text(HEADERS.eventType),
    errorCode: text(FAILURE_HEADERS.errorCode),
    errorKind: text(FAILURE_HEADERS.kind),
    errorMessage: text(FAILURE_HEADERS.errorMessage),
    originalTopic: text(FAILURE_HEADERS.originalTopic),
    originalPartition: originalPartition === undefined ? null : Number(originalPartition),
    originalOffset: text(FAILURE_HEADERS.originalOffset),
    attempts: headerCount(record, FAILURE_HEADERS.attempts),
    replayCount: replayCountOf(record),
    firstFailureAt: text(FAILURE_HEADERS.firstFailureAt),
    lastFailureAt: text(FAILURE_HEADERS.lastFailureAt),
    replayedAt: text(FAILURE_HEADERS.replayedAt),
    replayedBy: text(FAILURE_HEADERS.replayedBy),
  };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export function decodeValue(value: Buffer | undefined): Pick<DeadLetterDetail, 'value' | 'valueEncoding'> {
  if (value === undefined) return { value: null, valueEncoding: 'none' };
  let text: string;
  try {
    text = STRICT_UTF8.decode(value);
  } catch {
    // Not UTF-8: bytes are shown as they are, in base64.
    return { value: value.toString('base64'), valueEncoding: 'base64' };
  }
  try {
    return { value: JSON.parse(text) as unknown, valueEncoding: 'json' };
  } catch {
    // Not JSON (a poison record, typically): shown as the text it is.
    return { value: text, valueEncoding: 'text' };
  }
}

export function toDetail(record: DeadLetter): DeadLetterDetail {
  const headers: Record<string, string> = {};
  for (const [name, value] of record.headers) headers[name] = value.toString('utf8');
  return { ...toView(record), headers, ...decodeValue(record.value) };
}

function cut(text: string, width: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= width ? oneLine : `${oneLine.slice(0, width - 1)}…`;
}

/** One line per dead letter: where, when, whose, why. */
export function formatLine(record: DeadLetter): string {
  const view = toView(record);
  return [
    coordinatesOf(record),
    view.deadLetteredAt,
    view.errorCode ?? '-',
    `key=${view.key ?? '-'}`,
    `event=${view.eventType ?? '?'}:${view.eventId ?? '-'}`,
    `attempts=${view.attempts}`,
    `replays=${view.replayCount}`,
    cut(view.errorMessage ?? '', LIST_MESSAGE_WIDTH),
  ].join('  ');
}

/** Everything about one dead letter: coordinates, every header, the value pretty-printed. */
export function formatFull(record: DeadLetter): string {
  const detail = toDetail(record);
  const lines = [
    `dead letter    ${coordinatesOf(record)}`,
    `consumer       ${detail.consumerId} (${detail.consumerGroup})`,
    `dead-lettered  ${detail.deadLetteredAt}`,
    `key            ${detail.key ?? '(none)'}`,
    'headers',
    ...Object.entries(detail.headers).map(([name, value]) => `  ${name}: ${value}`),
    `value (${detail.valueEncoding})`,
  ];
  const body =
    detail.valueEncoding === 'json' ? JSON.stringify(detail.value, null, 2) : String(detail.value ?? '(none)');
  lines.push(...body.split('\n').map((line) => `  ${line}`));
  return lines.join('\n');
}

/** One line per replay decision, for dry runs and the replay log. */
export function formatDecision(decision: ReplayDecision, dryRun: boolean): string {
  const where = coordinatesOf(decision.record);
  const key = `key=${decision.record.key ?? '-'}`;
  switch (decision.action) {
    case 'replay':
      return `${dryRun ? 'would replay' : 'replayed'}  ${where}  ${key}  -> ${decision.target.topic}  replay-count=${decision.replayCount}${decision.forced ? '  (forced past the parking limit)' : ''}`;
    case 'parked':
      return `parked        ${where}  ${key}  replayed ${decision.replayCount} times already; --force to replay again`;
    case 'skipped':
      return `skipped       ${where}  ${key}  ${decision.reason}`;
  }
}
