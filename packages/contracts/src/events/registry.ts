/**
 * The event registry: every published version of every event type, oldest first. This is what the
 * codec validates against, what the JSON Schema artifacts and docs are generated from, and what the
 * compatibility test walks.
 *
 * Invariants (checked by test/events/registry.test.ts):
 * - versions of a type are 1, 2, 3 ... without gaps, in order, and each names its own type;
 * - a published version is never edited or removed, only followed by a compatible next version;
 * - producers always emit the last (latest) version.
 */
import type { Static } from 'typebox';
import { ChargePaymentV1 } from './charge-payment.ts';
import { CommitReservationV1 } from './commit-reservation.ts';
import type { AnyEventDefinition, EventDefinition } from './define-event.ts';
import { InventoryFailedV1 } from './inventory-failed.ts';
import { InventoryReservedV1 } from './inventory-reserved.ts';
import { OrderCancelledV1 } from './order-cancelled.ts';
import { OrderConfirmedV1 } from './order-confirmed.ts';
import { OrderPlacedV1 } from './order-placed.ts';
import { PaymentCapturedV1 } from './payment-captured.ts';
import { PaymentDeclinedV1 } from './payment-declined.ts';
import { PaymentRefundedV1 } from './payment-refunded.ts';
import { RefundPaymentV1 } from './refund-payment.ts';
import { ReleaseReservationV1 } from './release-reservation.ts';
import { ReservationCommittedV1 } from './reservation-committed.ts';
import { ReservationReleasedV1 } from './reservation-released.ts';

/** Event type → its published versions, oldest first (non-empty). */
export type EventRegistry = Readonly<Record<string, readonly [AnyEventDefinition, ...AnyEventDefinition[]]>>;

/** The platform's registry. Add a version by appending it to its type's list. */
export const EVENT_REGISTRY = {
  OrderPlaced: [OrderPlacedV1],
  InventoryReserved: [InventoryReservedV1],
  InventoryFailed: [InventoryFailedV1],
  ReservationCommitted: [ReservationCommittedV1],
  ReservationReleased: [ReservationReleasedV1],
  OrderConfirmed: [OrderConfirmedV1],
  OrderCancelled: [OrderCancelledV1],
  ChargePayment: [ChargePaymentV1],
  RefundPayment: [RefundPaymentV1],
  PaymentCaptured: [PaymentCapturedV1],
  PaymentDeclined: [PaymentDeclinedV1],
  PaymentRefunded: [PaymentRefundedV1],
  CommitReservation: [CommitReservationV1],
  ReleaseReservation: [ReleaseReservationV1],
} as const satisfies EventRegistry;

/** The platform's registry type. */
export type PlatformEventRegistry = typeof EVENT_REGISTRY;

/** An event type of registry `R` (the platform's by default). */
export type EventTypeIn<R extends EventRegistry> = keyof R & string;

/** An event type of the platform, e.g. `'OrderPlaced'`. */
export type EventType = EventTypeIn<PlatformEventRegistry>;

/** The latest (last) definition of type `T` in registry `R`. */
export type LatestDefinitionIn<R extends EventRegistry, T extends EventTypeIn<R>> = R[T] extends readonly [
  ...unknown[],
  infer Last,
]
  ? Last
  : never;

/**
 * Payload type of the latest version of `T`. Because every version is fully compatible with the
 * previous one (only optional fields are ever added), a payload of any version of `T` has this type.
 */
export type PayloadIn<R extends EventRegistry, T extends EventTypeIn<R>> =
  LatestDefinitionIn<R, T> extends EventDefinition<string, number, infer S> ? Static<S> : never;

/** Payload type of the latest version of platform event `T`, e.g. `EventPayload<'OrderPlaced'>`. */
export type EventPayload<T extends EventType> = PayloadIn<PlatformEventRegistry, T>;

/** Every event type of the platform, in registry order. */
export const EVENT_TYPES = Object.keys(EVENT_REGISTRY) as EventType[];

/** Every definition of every version in `registry`, type by type, oldest version first. */
export function listDefinitions(registry: EventRegistry = EVENT_REGISTRY): readonly AnyEventDefinition[] {
  return Object.values(registry).flat();
}

/** The definition of `type` at `version`, or `undefined` when that version is not registered. */
export function findDefinition(
  type: string,
  version: number,
  registry: EventRegistry = EVENT_REGISTRY,
): AnyEventDefinition | undefined {
  return Object.hasOwn(registry, type)
    ? registry[type]?.find((definition) => definition.version === version)
    : undefined;
}

/** The latest definition of `type`, or `undefined` for an unknown type. */
export function findLatestDefinition(
  type: string,
  registry: EventRegistry = EVENT_REGISTRY,
): AnyEventDefinition | undefined {
  const versions = Object.hasOwn(registry, type) ? registry[type] : undefined;
  return versions?.[versions.length - 1];
}

/** Narrows a string (a header value) to a platform event type. */
export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVENT_REGISTRY, value);
}
