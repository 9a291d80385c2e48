import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, type ConnectionOptions } from '@platformatic/kafka';

/** How a client logs in to a secured cluster: SASL and/or TLS, in @platformatic/kafka's option shape. */
export type ClientSecurity = Pick<ConnectionOptions, 'sasl' | 'tls'>;

/** A cold JVM on a busy 2-core box needs 5-15 s; 60 s only trips on a genuinely stuck broker. */
export const DEFAULT_READY_TIMEOUT_MS = 60_000;
/** Per-attempt budget, so one hung connection cannot eat the whole wait. */
const ATTEMPT_TIMEOUT_MS = 2_000;
const POLL_INTERVAL_MS = 250;

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

export interface MetadataSummary {
  clusterId: string;
  controllerId: number;
  brokers: BrokerInfo[];
}

export interface WaitForMetadataOptions {
  /** Keep waiting until every one of these node ids is listed as a live broker. */
  expectedBrokerIds?: readonly number[];
  /** Aborts the wait early, e.g. when the broker process has died. */
  signal?: AbortSignal;
  /** The login of a secured cluster (the local brokers always are). */
  security?: ClientSecurity;
}

async function fetchMetadata(bootstrapServers: readonly string[], security?: ClientSecurity): Promise<MetadataSummary> {
  const admin = new Admin({
    ...security,
    clientId: 'infra-kafka-readiness',
    bootstrapBrokers: [...bootstrapServers],
    retries: 0,
    connectTimeout: ATTEMPT_TIMEOUT_MS,
    timeout: ATTEMPT_TIMEOUT_MS,
  });
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true });
    return {
      clusterId: metadata.id,
      controllerId: metadata.controllerId,
      brokers: [...metadata.brokers.entries()]
        .map(([nodeId, broker]) => ({ nodeId, host: broker.host, port: broker.port }))
        .sort((a, b) => a.nodeId - b.nodeId),
    };
  } finally {
    await admin.close();
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const nested = (error as Error & { errors?: unknown[] }).errors;
  const cause = nested?.[0] ?? error.cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/**
 * Polls with a Metadata request until the cluster answers (and lists the expected brokers).
 * Answering Metadata is the point where producers and consumers can work, unlike an open port.
 */
export async function waitForMetadata(
  bootstrapServers: readonly string[],
  timeoutMs: number = DEFAULT_READY_TIMEOUT_MS,
  options: WaitForMetadataOptions = {},
): Promise<MetadataSummary> {
  const deadline = Date.now() + timeoutMs;
  const expected = options.expectedBrokerIds ?? [];
  let lastProblem = 'no attempt made';
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const summary = await fetchMetadata(bootstrapServers, options.security);
      const listed = new Set(summary.brokers.map((broker) => broker.nodeId));
      const missing = expected.filter((id) => !listed.has(id));
      if (missing.length === 0) return summary;
      lastProblem = `answering, but broker(s) ${missing.join(', ')} not registered yet`;
    } catch (error) {
      lastProblem = describeError(error);
    }
    options.signal?.throwIfAborted();
    if (Date.now() >= deadline) {
      throw new Error(
        `Kafka at ${bootstrapServers.join(',')} did not answer Metadata within ${timeoutMs} ms: ${lastProblem}`,
      );
    }
    await sleep(POLL_INTERVAL_MS, undefined, { signal: options.signal }).catch(() => {});
  }
}
