/**
 * The business (event and command) topics as written: id, name, owner, partitions and why. Part of the
 * catalog (see topics.ts, which builds every topic definition from this table and the consumers); kept
 * apart so that the consumers' catalog can name its source topics by id without importing topics.ts,
 * which imports the consumers.
 */
import type { EventType } from './events/registry.ts';
import type { ServiceName } from './services.ts';

export interface BusinessTopicSpec {
  readonly id: string;
  readonly name: string;
  readonly kind: 'event' | 'command';
  readonly owner: ServiceName;
  readonly partitions: number;
  /** Records this topic receives per order at peak: the input of the partition calculation. */
  readonly recordsPerOrder: number;
  readonly events: readonly EventType[];
  readonly why: string;
}

export const BUSINESS_TOPIC_SPECS = [
  {
    id: 'orderPlaced',
    name: 'order-service.order-placed',
    kind: 'event',
    owner: 'order-service',
    partitions: 6,
    recordsPerOrder: 1,
    events: ['OrderPlaced'],
    why:
      "Starts every order's flow. The Inventory Service reacts to it on its own (choreography): the Order Service " +
      'neither knows nor waits for its consumers. Carries no customer contact, so Inventory never receives personal data.',
  },
  {
    id: 'reservationResults',
    name: 'inventory-service.reservation-results',
    kind: 'event',
    owner: 'inventory-service',
    partitions: 9,
    recordsPerOrder: 2,
    events: ['InventoryReserved', 'InventoryFailed', 'ReservationCommitted', 'ReservationReleased'],
    why:
      "Everything Inventory tells the order saga about one order's reservation: reserved or failed (the answer to " +
      'OrderPlaced) and the replies to CommitReservation and ReleaseReservation. One topic rather than separate ' +
      'reserved and failed topics: Kafka orders records only within one partition of one topic, the saga must see an ' +
      "order's reservation facts in the order they happened (a release must never overtake the reservation it " +
      'undoes), and no consumer wants only one outcome; the event-type header lets a consumer skip types unparsed.',
  },
  {
    id: 'inventoryCommands',
    name: 'order-service.inventory-commands',
    kind: 'command',
    owner: 'order-service',
    partitions: 6,
    recordsPerOrder: 1,
    events: ['CommitReservation', 'ReleaseReservation'],
    why:
      "The order saga (orchestration) tells Inventory to commit a paid order's reservation or, as compensation, to " +
      'release it. One topic for both, keyed by order id, so a release is never applied before the commit it undoes. ' +
      'Named after the Order Service, its only writer; Inventory owns the replies.',
  },
  {
    id: 'paymentCommands',
    name: 'order-service.payment-commands',
    kind: 'command',
    owner: 'order-service',
    partitions: 6,
    recordsPerOrder: 1,
    events: ['ChargePayment', 'RefundPayment'],
    why:
      'The order saga asks the Payment Service to charge or, as compensation, to refund. One topic keyed by order id ' +
      'so a refund is never processed before the charge it compensates (a retry tier can still reorder them, which ' +
      'ChargePayment.expiresAt and the refund-by-paymentId rule make harmless). Named after its only writer.',
  },
  {
    id: 'paymentResults',
    name: 'payment-service.payment-results',
    kind: 'event',
    owner: 'payment-service',
    partitions: 6,
    recordsPerOrder: 1,
    events: ['PaymentCaptured', 'PaymentDeclined', 'PaymentRefunded'],
    why:
      "The Payment Service's answers to the saga: captured, declined, refunded. One topic keyed by order id, for the " +
      'same ordering reason as the reservation results.',
  },
  {
    id: 'orderOutcomes',
    name: 'order-service.order-outcomes',
    kind: 'event',
    owner: 'order-service',
    partitions: 6,
    recordsPerOrder: 1,
    events: ['OrderConfirmed', 'OrderCancelled'],
    why:
      "The order's outcome for the customer: confirmed, or cancelled with the reason and any refund; the Notification " +
      'Service reacts on its own (choreography). One topic for both so that a confirmation and a later cancellation ' +
      "with refund reach the customer in that order. The only topic with the customer's contact: kept apart from " +
      'order-placed so Inventory never reads personal data, and an ACL can grant it to the Notification Service alone.',
  },
] as const satisfies readonly BusinessTopicSpec[];

/** Logical id of a business (event or command) topic, e.g. `'orderPlaced'`. */
export type BusinessTopicId = (typeof BUSINESS_TOPIC_SPECS)[number]['id'];
