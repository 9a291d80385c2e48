/**
 * Applies a saga decision inside the caller's transaction (the consumer's, the deadline scanner's or an
 * HTTP request's): the rows, the commands of the started steps and the outcome event (both through the
 * outbox, so they are published if and only if the change commits), and the status notification.
 *
 * Every input goes through here, whatever its source: one place decides what a change writes, so a reply,
 * a deadline and a cancellation cannot disagree on what "start the refund" means.
 */
import type { EventMeta, EventPayload } from '@shop/contracts';
import type { PoolClient } from '@shop/platform/db/pool';
import { platformError } from '@shop/platform/errors';
import type { EventCause, EventWriter } from '@shop/platform/events/event-writer';
import type { Logger } from '@shop/platform/logger';
import { applySagaChange, type LockedSaga, type StartedAttempt } from '../db/order-repository.ts';
import { notifyStatusChanged } from '../db/order-status-listener.ts';
import {
  type SagaChange,
  type SagaDecision,
  type SagaSettings,
  type SagaStep,
  sagaAfter,
} from '../domain/order-saga.ts';
import { type OrderMetrics, recordSettlement } from '../metrics.ts';

export interface SagaEffectsDependencies {
  events: EventWriter;
  metrics: OrderMetrics;
  settings: SagaSettings;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw platformError('PLT_UNEXPECTED', `the saga has no ${what} for its command`);
  return value;
}

/** Appends the command that starts `step` for the saga as it is after the change. */
async function appendCommand(
  events: EventWriter,
  client: PoolClient,
  saga: LockedSaga,
  step: SagaStep,
  causedBy: EventCause,
): Promise<EventMeta> {
  const orderId = saga.orderId;
  switch (step) {
    case 'CHARGE_PAYMENT':
      return events.append(client, {
        type: 'ChargePayment',
        payload: {
          orderId,
          paymentId: required(saga.paymentId, 'paymentId'),
          customerId: saga.customerId,
          amount: { ...required(saga.total, 'total') },
          expiresAt: required(saga.chargeExpiresAt, 'charge expiry').toISOString(),
        },
        causedBy,
      });
    case 'REFUND_PAYMENT':
      return events.append(client, {
        type: 'RefundPayment',
        payload: {
          orderId,
          paymentId: required(saga.paymentId, 'paymentId'),
          refundId: required(saga.refundId, 'refundId'),
          // At most what was captured; when the capture is unknown (the charge was given up), the total:
          // the Payment Service refunds only what it actually captured.
          amount: { ...(saga.captured ?? required(saga.total, 'total')) },
        },
        causedBy,
      });
    case 'COMMIT_STOCK':
      return events.append(client, { type: 'CommitReservation', payload: { orderId }, causedBy });
    case 'RELEASE_STOCK':
      return events.append(client, { type: 'ReleaseReservation', payload: { orderId }, causedBy });
    case 'RESERVE_STOCK':
      // Started only by OrderPlaced, when the order is placed; never re-sent (see onStepDeadline).
      throw platformError('PLT_UNEXPECTED', 'RESERVE_STOCK is started only by placing the order');
  }
}

async function appendOutcome(
  events: EventWriter,
  client: PoolClient,
  saga: LockedSaga,
  outcome: NonNullable<SagaChange['outcome']>,
  causedBy: EventCause,
): Promise<void> {
  const contact = { ...saga.contact };
  if (outcome.type === 'OrderConfirmed') {
    const payload: EventPayload<'OrderConfirmed'> = {
      orderId: saga.orderId,
      contact,
      lines: saga.lines.map((line) => ({ ...line })),
      total: { ...required(saga.total, 'total') },
    };
    await events.append(client, { type: 'OrderConfirmed', payload, causedBy });
    return;
  }
  const refunded = saga.refunded !== undefined && saga.refunded.amountMinor > 0 ? { ...saga.refunded } : undefined;
  await events.append(client, {
    type: 'OrderCancelled',
    payload: {
      orderId: saga.orderId,
      contact,
      reason: { ...outcome.reason },
      ...(refunded === undefined ? {} : { refunded }),
    },
    causedBy,
  });
}

/**
 * Writes `change` for the locked `saga`. `cause` is the reply that caused it, if any (its id is recorded
 * on the steps it finishes, and the commands continue its trace); other inputs continue the order's flow.
 */
export async function applySagaDecision(
  dependencies: SagaEffectsDependencies,
  client: PoolClient,
  saga: LockedSaga,
  change: SagaChange,
  input: { cause?: EventMeta; logger: Logger },
): Promise<void> {
  const { events, metrics } = dependencies;
  const causedBy: EventCause = input.cause === undefined ? { correlationId: saga.orderId } : { cause: input.cause };
  const after = sagaAfter(saga, change);
  const started: StartedAttempt[] = [];
  for (const start of change.starts) {
    const command = await appendCommand(events, client, after, start.step, causedBy);
    started.push({ step: start.step, deadlineAt: start.deadlineAt, requestEventId: command.eventId });
  }
  if (change.releaseStray === true) {
    await events.append(client, { type: 'ReleaseReservation', payload: { orderId: saga.orderId }, causedBy });
    metrics.strayReleases.inc();
    input.logger.warn(
      { orderId: saga.orderId, sagaState: saga.state },
      'stock reserved after the saga gave up on it; released again',
    );
  }
  const { settledAfterSeconds } = await applySagaChange(client, saga, change, after, {
    ...(input.cause === undefined ? {} : { replyEventId: input.cause.eventId }),
    started,
  });
  if (change.outcome !== undefined) await appendOutcome(events, client, after, change.outcome, causedBy);
  for (const closed of change.closes) {
    if (closed.status === 'TIMED_OUT') metrics.stepTimeouts.inc({ step: closed.step });
  }
  for (const parked of change.parks) {
    metrics.compensationFailures.inc({ step: parked });
    input.logger.error(
      { orderId: saga.orderId, step: parked },
      'saga step unanswered after every attempt: COMPENSATION_FAILED, waiting for an operator (npm run cli -- saga retry)',
    );
  }
  if (after.orderStatus !== saga.orderStatus || after.state !== saga.state) {
    // Delivered at commit to every instance's listener; long-polls on this order answer at once.
    await notifyStatusChanged(client, saga.orderId);
  }
  // Counted before the commit: a commit that then fails (rare) is retried and may count twice.
  if (settledAfterSeconds !== undefined && after.orderStatus !== 'PENDING') {
    recordSettlement(metrics, after.orderStatus, settledAfterSeconds);
  }
}

/** Logs and counts an input that changed nothing. */
export function recordIgnored(
  dependencies: Pick<SagaEffectsDependencies, 'metrics'>,
  decision: Extract<SagaDecision, { kind: 'ignore' }>,
  input: { orderId: string; type: string; logger: Logger },
): void {
  dependencies.metrics.ignoredReplies.inc({ type: input.type, contradicts: String(decision.contradicts) });
  const log = { orderId: input.orderId, eventType: input.type, sagaState: decision.state };
  if (decision.contradicts) input.logger.warn(log, 'input contradicts the saga; ignored');
  else input.logger.info(log, 'duplicate or late input; ignored');
}
