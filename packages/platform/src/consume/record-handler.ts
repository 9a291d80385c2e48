import { classifyFailure } from '../kafka/failure.ts';
import { withLogContext } from '../logger.ts';
import { type BatchHandler, BatchItemError, type RecordHandler } from './types.ts';

/**
 * Adapts a per-record handler to the batch contract: the items are handled one after the other, in order,
 * on the batch's transaction. An item failing for a reason of its own throws `BatchItemError(index)` (the
 * runner then commits the items before it without it and deals with it alone); an infrastructure failure
 * is thrown as it is (the whole batch is retried in place).
 */
export function adaptRecordHandler<Event>(handle: RecordHandler<Event>): BatchHandler<Event> {
  return async (items, { client, logger }) => {
    for (const item of items) {
      try {
        await withLogContext({ eventId: item.eventId, correlationId: item.correlationId }, () =>
          handle(item.event, { client, record: item.record, logger, eventId: item.eventId }),
        );
      } catch (error) {
        if (classifyFailure(error).kind === 'infrastructure') throw error;
        throw new BatchItemError(item.index, error);
      }
    }
    return undefined;
  };
}
