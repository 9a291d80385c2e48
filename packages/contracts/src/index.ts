/**
 * @shop/contracts: the topic catalog, event schemas, headers and serialization every service shares.
 * Subpaths (`@shop/contracts/topics`, `@shop/contracts/serialization`, ...) expose the same modules.
 */

export {
  AppError,
  type AppErrorOptions,
  type ErrorCatalogue,
  type ErrorFactory,
  type ErrorOptions,
  type ErrorSpec,
  errorFactory,
  isAppError,
} from './app-error.ts';
export {
  type AffectedReaders,
  COMPATIBILITY_RULES,
  type CompatibilityIssue,
  type CompatibilityIssueKind,
  checkCompatibility,
  checkRegistryCompatibility,
  type JsonSchema,
  type VersionPairIssues,
} from './compatibility.ts';
export {
  CONSUMERS,
  type ConsumerDefinition,
  type ConsumerId,
  consumer,
  RETRY_DELAYS_MS,
  RETRY_TIERS,
  type RetryTier,
  retryDelayMs,
} from './consumers.ts';
export {
  CONTRACT_ERROR_CODES,
  CONTRACT_ERRORS,
  CONTRACT_ERRORS_RETRYABLE,
  type ContractErrorCode,
  type ContractFailure,
  contractError,
  contractFailure,
  contractFailureError,
  isContractError,
} from './errors.ts';
export { ChargePaymentV1 } from './events/charge-payment.ts';
export { CommitReservationV1 } from './events/commit-reservation.ts';
export type {
  AnyEventDefinition,
  EventDefinition,
  EventKind,
  InvariantViolation,
} from './events/define-event.ts';
export { INVENTORY_FAILURE_REASONS, InventoryFailedV1 } from './events/inventory-failed.ts';
export { InventoryReservedV1 } from './events/inventory-reserved.ts';
export { ORDER_CANCEL_REASONS, OrderCancelledV1 } from './events/order-cancelled.ts';
export { OrderConfirmedV1 } from './events/order-confirmed.ts';
export { OrderPlacedV1 } from './events/order-placed.ts';
export { PaymentCapturedV1 } from './events/payment-captured.ts';
export { PAYMENT_DECLINE_REASONS, PaymentDeclinedV1 } from './events/payment-declined.ts';
export { PaymentRefundedV1 } from './events/payment-refunded.ts';
export { RefundPaymentV1 } from './events/refund-payment.ts';
export {
  EVENT_REGISTRY,
  EVENT_TYPES,
  type EventPayload,
  type EventRegistry,
  type EventType,
  findDefinition,
  findLatestDefinition,
  isEventType,
  listDefinitions,
  type PayloadIn,
  type PlatformEventRegistry,
} from './events/registry.ts';
export { ReleaseReservationV1 } from './events/release-reservation.ts';
export { ReservationCommittedV1 } from './events/reservation-committed.ts';
export { ReservationReleasedV1 } from './events/reservation-released.ts';
export {
  FAILURE_HEADERS,
  type FailureHeaderName,
  isFailureHeader,
  MAX_FAILURE_MESSAGE_LENGTH,
} from './failure-headers.ts';
export {
  type CausationContext,
  CONTENT_TYPE_JSON,
  causedBy,
  childTraceparent,
  decodeHeaders,
  type EventMeta,
  encodeHeaders,
  encodeHeadersAsText,
  HEADER_SPECS,
  HEADERS,
  type HeaderInput,
  type HeaderName,
  type HeaderValue,
  isCanonicalUuid,
  isTraceparent,
  isUtcTimestamp,
  newTraceparent,
  readHeader,
  validateEventMeta,
} from './headers.ts';
/** Time-ordered ids (UUID version 7) for everything the system mints: events, orders, payments, refunds. */
export { newId } from './ids.ts';
export {
  ASSUMED_EVENTS_PER_SECOND_PER_PARTITION,
  HEADROOM_FACTOR,
  PEAK_ORDERS_PER_SECOND,
  requiredPartitions,
} from './partitioning.ts';
export {
  createEventCodec,
  type DecodedEvent,
  type DecodedEventIn,
  type DecodeOptions,
  type DecodeResult,
  type DecodeSuccess,
  decodeRecord,
  type EncodedRecord,
  type EncodeInput,
  type EventCodec,
  type EventCodecOptions,
  encodeEvent,
  type NewEventMetaInput,
  newEventMeta,
  type TypedEventMeta,
} from './serialization.ts';
export { isServiceName, SERVICES, type ServiceName } from './services.ts';
export {
  allTopics,
  type BusinessTopicId,
  businessTopics,
  CONSUMER_GROUPS,
  type ConsumerGroupDefinition,
  consumerGroupIds,
  type DeadLetterTopicId,
  deadLetterTopicOf,
  findTopicByName,
  kafkaTopicConfig,
  MIN_INSYNC_REPLICAS,
  REPLICATION_FACTOR,
  type RetryTopicId,
  retryTopicsOf,
  TOPICS,
  type TopicDefinition,
  type TopicId,
  type TopicKind,
  topic,
  topicName,
  topicsCarrying,
} from './topics.ts';
export type { Money } from './values.ts';
