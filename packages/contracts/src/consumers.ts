/**
 * The consumers of the platform: which service reads which topics, under which consumer group, and
 * the retry policy its failure path is built from. Consumer group ids are catalog data like topic
 * names: services, the lag monitor and the DLT tooling read them from here.
 *
 * A consumer is named after what it does, not after a topic, because one consumer may read several
 * topics (the order saga reads both reply topics) and because its retry and dead-letter topics are
 * named by extending its group id (see topics.ts): `inventory-service.reserve-stock.retry-1` reads as
 * "retry tier 1 of the Inventory Service's reserve-stock consumer", never as a second topic of the
 * source's owner.
 */
import type { ServiceName } from './services.ts';
import type { BusinessTopicId } from './topics-business.ts';

/**
 * Default delay of each retry tier, in milliseconds: a record waits this long after it was written to
 * the tier before it is handled again. The number of tiers is catalog data (each tier is a topic);
 * the delays may be overridden by service configuration without renaming anything, which is why
 * tier topics are named by position (`retry-1`), not by delay (`retry-1s`).
 */
export const RETRY_DELAYS_MS = [1_000, 10_000, 60_000] as const;

/** A retry tier, counted from 1. */
export type RetryTier = 1 | 2 | 3;

/** The retry tiers in the order a failing record goes through them. */
export const RETRY_TIERS: readonly RetryTier[] = [1, 2, 3];

/** One consumer: a consumer group of one service reading one or more business topics. */
export interface ConsumerDefinition {
  /** Logical id code uses instead of the group id string, e.g. `reserveStock`. */
  readonly id: ConsumerId;
  /** The consuming service; it also owns (is the only writer of) this consumer's retry and dead-letter topics. */
  readonly service: ServiceName;
  /** Kebab-case name, unique within the service. */
  readonly name: string;
  /** Consumer group id of the main consumer: `<service>.<name>`. */
  readonly groupId: string;
  /** The business topics it reads. */
  readonly sources: readonly BusinessTopicId[];
  /** What it does with what it reads. */
  readonly purpose: string;
}

interface ConsumerSpec {
  readonly id: string;
  readonly service: ServiceName;
  readonly name: string;
  readonly sources: readonly BusinessTopicId[];
  readonly purpose: string;
}

const CONSUMER_SPECS = [
  {
    id: 'reserveStock',
    service: 'inventory-service',
    name: 'reserve-stock',
    sources: ['orderPlaced'],
    purpose: 'Reserves every line of a placed order in one transaction, all or nothing, and publishes the result.',
  },
  {
    id: 'settleReservations',
    service: 'inventory-service',
    name: 'settle-reservations',
    sources: ['inventoryCommands'],
    purpose: "Commits a reservation (reserved to sold) or releases it (back to available) on the saga's command.",
  },
  {
    id: 'processPayments',
    service: 'payment-service',
    name: 'process-payments',
    sources: ['paymentCommands'],
    purpose: "Charges and refunds through the payment provider with the command's idempotency key; replies.",
  },
  {
    id: 'orderSaga',
    service: 'order-service',
    name: 'order-saga',
    sources: ['reservationResults', 'paymentResults'],
    purpose:
      "Advances each order's saga on inventory and payment replies; settles the order and sends the next command.",
  },
  {
    id: 'notifyCustomers',
    service: 'notification-service',
    name: 'notify-customers',
    sources: ['orderOutcomes'],
    purpose: 'Sends one e-mail (and one SMS when a phone is given) per order outcome.',
  },
] as const satisfies readonly ConsumerSpec[];

/** Logical id of a consumer, e.g. `'reserveStock'`. */
export type ConsumerId = (typeof CONSUMER_SPECS)[number]['id'];

/** Every consumer of the platform. */
export const CONSUMERS: readonly ConsumerDefinition[] = Object.freeze(
  CONSUMER_SPECS.map((spec) => Object.freeze({ ...spec, groupId: `${spec.service}.${spec.name}` })),
);

/** The consumer with logical id `id`. */
export function consumer(id: ConsumerId): ConsumerDefinition {
  const found = CONSUMERS.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no consumer ${id} in the catalog`);
  return found;
}

/** Retry tier `tier`'s default delay in milliseconds. */
export function retryDelayMs(tier: RetryTier): number {
  return RETRY_DELAYS_MS[tier - 1] as number;
}
