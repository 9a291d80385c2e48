/**
 * The services of the platform, by the name they use everywhere: topic prefixes, the `producer`
 * header, consumer group ids, logs and metrics. A topic's prefix names the only service that
 * writes to it, so this list is also the list of principals that own topics.
 */
export const SERVICES = ['order-service', 'inventory-service', 'payment-service', 'notification-service'] as const;

/** A service name from {@link SERVICES}. */
export type ServiceName = (typeof SERVICES)[number];

/** Narrows an arbitrary string (a header, a CLI argument) to a known service name. */
export function isServiceName(value: string): value is ServiceName {
  return (SERVICES as readonly string[]).includes(value);
}
