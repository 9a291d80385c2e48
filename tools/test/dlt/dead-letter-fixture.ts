import { randomUUID } from 'node:crypto';
import { deadLetterTopicOf, FAILURE_HEADERS, HEADERS, topicName } from '@shop/contracts';
import { kafkaNamespace } from '@shop/platform';
import type { DeadLetter } from '../../src/dlt/dead-letter.ts';

export const namespace = kafkaNamespace('unit-ns');
export const NOW = Date.parse('2026-05-01T12:00:00.000Z');

/** A dead letter of reserveStock as the router writes it, with overridable parts. */
export function deadLetter(
  overrides: Partial<Omit<DeadLetter, 'headers'>> & { headers?: Record<string, string | undefined> } = {},
): DeadLetter {
  const orderId = overrides.key ?? randomUUID();
  const headers: Record<string, string | undefined> = {
    [HEADERS.eventId]: randomUUID(),
    [HEADERS.eventType]: 'OrderPlaced',
    [FAILURE_HEADERS.originalTopic]: namespace.topic(topicName('orderPlaced')),
    [FAILURE_HEADERS.originalPartition]: '2',
    [FAILURE_HEADERS.originalOffset]: '41',
    [FAILURE_HEADERS.consumerGroup]: 'inventory-service.reserve-stock',
    [FAILURE_HEADERS.kind]: 'poison',
    [FAILURE_HEADERS.errorCode]: 'INV_TEST_POISON',
    [FAILURE_HEADERS.errorMessage]: 'cannot ever pass',
    [FAILURE_HEADERS.attempts]: '1',
    ...overrides.headers,
  };
  const { headers: _ignored, ...rest } = overrides;
  return {
    consumerId: 'reserveStock',
    topic: namespace.topic(deadLetterTopicOf('reserveStock').name),
    partition: 0,
    offset: 0n,
    timestamp: NOW - 60_000,
    key: orderId,
    value: Buffer.from(JSON.stringify({ orderId, lines: [{ sku: 'MUG-RED', quantity: 1 }] })),
    ...rest,
    headers: new Map(
      Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Buffer.from(value)]])),
    ),
  };
}
