/**
 * A fixture registry with two versions of one event type, for testing how readers of one version
 * handle the other. The topic is a fixture too: its name is not in the catalog.
 */
import { Type } from 'typebox';
import { defineEvent } from '../../src/events/define-event.ts';
import type { TopicDefinition, TopicId } from '../../src/topics.ts';
import { Uuid } from '../../src/values.ts';

export const WIDGET_ID = '5e3c9a1b-7d2f-4b8e-a6c4-1f0e9d8c7b6a';

export const WidgetMadeV1 = defineEvent({
  type: 'WidgetMade',
  version: 1,
  kind: 'event',
  key: 'widgetId',
  summary: 'Fixture: a widget was made.',
  schema: Type.Object(
    {
      widgetId: Uuid('Widget.'),
      colour: Type.Union([Type.Literal('RED'), Type.Literal('BLUE')]),
    },
    { additionalProperties: false },
  ),
  example: { widgetId: WIDGET_ID, colour: 'RED' },
});

/** A compatible next version: one optional field added. */
export const WidgetMadeV2 = defineEvent({
  type: 'WidgetMade',
  version: 2,
  kind: 'event',
  key: 'widgetId',
  summary: 'Fixture: a widget was made, maybe with a size.',
  schema: Type.Object(
    {
      widgetId: Uuid('Widget.'),
      colour: Type.Union([Type.Literal('RED'), Type.Literal('BLUE')]),
      size: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false },
  ),
  example: { widgetId: WIDGET_ID, colour: 'BLUE', size: 3 },
});

/** A reader that knows only version 1. */
export const V1_READER_REGISTRY = { WidgetMade: [WidgetMadeV1] } as const;

/** A reader (and writer) that knows both versions. */
export const V2_REGISTRY = { WidgetMade: [WidgetMadeV1, WidgetMadeV2] } as const;

export const WIDGET_TOPIC: TopicDefinition = {
  id: 'widgetEvents' as TopicId,
  name: 'fixture-service.widget-events',
  kind: 'event',
  owner: 'order-service',
  consumers: [],
  partitions: 1,
  replicationFactor: 3,
  minInsyncReplicas: 2,
  retentionMs: 1000,
  cleanupPolicy: 'delete',
  partitionKey: 'orderId',
  events: ['WidgetMade' as never],
  rationale: 'Fixture.',
};
