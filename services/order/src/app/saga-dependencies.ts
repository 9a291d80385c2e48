/** What every use case that changes a saga needs. */
import type { EventWriter, Logger, Pool, PoolClient } from '@shop/platform';
import type { SagaSettings } from '../domain/saga/saga-timing.ts';
import type { SettlementWakeups } from '../domain/settlement-wakeups.ts';
import type { OrderMetrics } from '../metrics.ts';

export interface SagaDependencies {
  /** Encodes the saga's commands and outcome events for the outbox. */
  events: EventWriter;
  metrics: OrderMetrics;
  settings: SagaSettings;
  /** Default: none (waiters then see the change at their next poll). */
  wakeups?: SettlementWakeups<PoolClient>;
  /** New payment and refund ids. Default: random UUIDs. */
  newId?: () => string;
}

/** For use cases that open their own transaction (requests, the deadline scanner). */
export interface SagaUseCaseDependencies extends SagaDependencies {
  pool: Pool;
  logger: Logger;
}
