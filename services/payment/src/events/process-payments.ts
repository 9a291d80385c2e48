/**
 * processPayments: the order saga's ChargePayment and RefundPayment, each answered in one transaction
 * with its reply (PaymentCaptured / PaymentDeclined / PaymentRefunded via the outbox).
 *
 * The gateway call happens inside the consumer's transaction (the inbox row is in it), but the gateway
 * commits on its own. Invariants that make this safe:
 * - The gateway is always called with the command's business key (paymentId for a charge, refundId for
 *   a refund) as idempotency key. If our commit fails after the gateway captured, the redelivery calls
 *   it again with the same key and gets the same capture: never two captures, and the reply is sent.
 * - A capture is recorded only from a gateway result: a gateway error throws (retryable AppError →
 *   retry tiers, then dead letter) and records nothing.
 * - A command already recorded (same paymentId / refundId, e.g. the saga re-sent it after a deadline)
 *   is answered again from the record, without calling the gateway.
 * - After `expiresAt` nothing is captured: the gateway is only asked whether it already holds a
 *   result for the key (a capture made before the expiry whose commit here failed), else the answer
 *   is PaymentDeclined with CHARGE_EXPIRED.
 * - Commands about one paymentId are serialised (a transaction-scoped advisory lock), so a command
 *   from the main topic and one from a retry tier never race.
 * - Refunds never total more than was captured: bounded here by the payment row, and by the gateway.
 */
import type { EventMeta, EventPayload } from '@shop/contracts';
import type { PoolClient } from '@shop/platform/db/pool';
import type { EventHandler } from '@shop/platform/events/catalog-consumer';
import type { EventWriter } from '@shop/platform/events/event-writer';
import { findPayment, findRefund, lockPaymentId, recordPayment, recordRefund } from '../db/payment-repository.ts';
import { DECLINE_MESSAGES } from '../domain/decline-messages.ts';
import { refundableAmount } from '../domain/refund-amount.ts';
import { paymentError } from '../payment-errors.ts';
import type { ChargeResult, PaymentProvider } from '../provider/payment-provider.ts';
import type { PaymentMetrics } from './payment-metrics.ts';

export interface ProcessPaymentsDependencies {
  events: EventWriter;
  provider: PaymentProvider;
  metrics: PaymentMetrics;
  /** The clock compared with ChargePayment.expiresAt. */
  now: () => Date;
}

export function createProcessPaymentsHandler(dependencies: ProcessPaymentsDependencies): EventHandler {
  return async (event, context) => {
    switch (event.type) {
      case 'ChargePayment':
        return chargePayment(context.client, event.payload, context.meta, dependencies);
      case 'RefundPayment':
        return refundPayment(context.client, event.payload, context.meta, dependencies);
      default:
        throw paymentError('PAY_UNEXPECTED_EVENT', `processPayments does not handle ${event.type}`);
    }
  };
}

export async function chargePayment(
  client: PoolClient,
  command: EventPayload<'ChargePayment'>,
  cause: EventMeta,
  { events, provider, metrics, now }: ProcessPaymentsDependencies,
): Promise<void> {
  await lockPaymentId(client, command.paymentId);
  let payment = await findPayment(client, command.paymentId);
  if (payment !== undefined) {
    metrics.charges.inc({ outcome: 'repeated' });
  } else {
    const expired = now().getTime() > Date.parse(command.expiresAt);
    let result: ChargeResult;
    if (expired) {
      result = (await provider.findCharge(command.paymentId)) ?? {
        outcome: 'DECLINED',
        reason: 'CHARGE_EXPIRED',
        message: DECLINE_MESSAGES.CHARGE_EXPIRED,
      };
    } else {
      result = await provider.authorizeAndCapture(
        { customerId: command.customerId, amount: command.amount },
        { idempotencyKey: command.paymentId },
      );
    }
    payment = await recordPayment(client, {
      paymentId: command.paymentId,
      orderId: command.orderId,
      customerId: command.customerId,
      status: result.outcome,
      amount: result.outcome === 'CAPTURED' ? result.amount : command.amount,
      declineReason: result.outcome === 'DECLINED' ? result.reason : null,
      providerReference: result.outcome === 'CAPTURED' ? result.reference : null,
      causedByEventId: cause.eventId,
    });
    const outcome =
      result.outcome === 'CAPTURED' ? 'captured' : result.reason === 'CHARGE_EXPIRED' ? 'expired' : 'declined';
    metrics.charges.inc({ outcome });
  }
  const { orderId, paymentId } = command;
  if (payment.status === 'CAPTURED') {
    await events.append(client, {
      type: 'PaymentCaptured',
      payload: { orderId, paymentId, amount: payment.amount },
      causedBy: { cause },
    });
  } else {
    const code = payment.declineReason ?? 'CARD_DECLINED';
    await events.append(client, {
      type: 'PaymentDeclined',
      payload: { orderId, paymentId, reason: { code, message: DECLINE_MESSAGES[code] } },
      causedBy: { cause },
    });
  }
}

export async function refundPayment(
  client: PoolClient,
  command: EventPayload<'RefundPayment'>,
  cause: EventMeta,
  { events, provider, metrics }: ProcessPaymentsDependencies,
): Promise<void> {
  const { orderId, paymentId, refundId } = command;
  // Lock first: commands of one payment (from the main topic and a retry tier) apply one after the other.
  await lockPaymentId(client, paymentId);
  const payment = await findPayment(client, paymentId);
  const earlier = await findRefund(client, refundId);
  if (earlier !== undefined) {
    metrics.refunds.inc({ outcome: 'repeated' });
    await events.append(client, {
      type: 'PaymentRefunded',
      payload: { orderId, paymentId, refundId, amount: earlier.amount },
      causedBy: { cause },
    });
    return;
  }
  if (payment?.status === 'CAPTURED' && payment.amount.currency !== command.amount.currency) {
    throw paymentError(
      'PAY_CURRENCY_MISMATCH',
      `Refund ${refundId} in ${command.amount.currency} of payment ${paymentId} captured in ${payment.amount.currency}`,
      { details: { orderId, paymentId, refundId } },
    );
  }
  let amount = { amountMinor: 0, currency: command.amount.currency };
  let providerReference: string | null = null;
  // A declined payment captured nothing: no gateway call. An unknown payment still asks the gateway,
  // which bounds the refund by its own captures (0 when it has none): our record could lack a capture
  // whose commit here failed and whose command then went to the dead letter.
  const askGateway = payment === undefined || payment.status === 'CAPTURED';
  const most =
    payment === undefined
      ? command.amount.amountMinor
      : refundableAmount(
          payment.status === 'CAPTURED' ? payment.amount.amountMinor : 0,
          payment.refundedMinor,
          command.amount.amountMinor,
        );
  if (askGateway && most > 0) {
    const result = await provider.refund(
      { chargeKey: paymentId, amount: { amountMinor: most, currency: command.amount.currency } },
      { idempotencyKey: refundId },
    );
    amount = result.amount;
    providerReference = result.reference;
  }
  await recordRefund(client, {
    refundId,
    paymentId,
    orderId,
    requestedMinor: command.amount.amountMinor,
    amount,
    providerReference,
    causedByEventId: cause.eventId,
  });
  metrics.refunds.inc({ outcome: amount.amountMinor > 0 ? 'refunded' : 'nothing' });
  if (amount.amountMinor > 0) metrics.refundedMinor.inc({ currency: amount.currency }, amount.amountMinor);
  await events.append(client, {
    type: 'PaymentRefunded',
    payload: { orderId, paymentId, refundId, amount },
    causedBy: { cause },
  });
}
