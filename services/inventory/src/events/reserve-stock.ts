/**
 * The `reserveStock` consumer (inbound adapter): hands each fetched batch of OrderPlaced events, on the
 * transaction the consumer runner opened for it, to the use case (app/reserve-stock.ts).
 */
import type { EventBatchHandler } from '@shop/platform';
import { type ReserveStockDependencies, reserveStock } from '../app/reserve-stock.ts';

export function createReserveStockHandler(dependencies: ReserveStockDependencies): EventBatchHandler {
  return (items, context) => reserveStock(context.client, items, context.logger, dependencies);
}
