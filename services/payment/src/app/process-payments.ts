/**
 * processPayments (use case): the order saga's ChargePayment and RefundPayment, a fetched batch at a time
 * on the batch's one transaction (opened by the consumer runner with its inbox rows; events/process-payments.ts
 * hands it over): one statement locks the batch's payment ids, one reads what is recorded for
 * them, the gateway is called for what is new, one statement writes every result, one outbox insert
 * carries every reply (PaymentCaptured / PaymentDeclined / PaymentRefunded).
 *
 * The gateway is called inside the batch's transaction, but the gateway commits on its own. Invariants
 * that make this safe:
 * - The gateway is always called with the command's business key (paymentId for a charge, refundId for
 *   a refund) as idempotency key. If our commit fails after the gateway captured, or the runner re-runs
 *   part of the batch after a split, the gateway is called again with the same key and returns the same
 *   capture: never two captures, and the reply is sent.
 * - A capture is recorded only from a gateway result. A gateway error rejects its command (a domain
 *   outcome, see below) and records nothing for it.
 * - A command already recorded (same paymentId / refundId, e.g. the saga re-sent it after a deadline,
 *   or an earlier item of the same batch) is answered again from the record, without calling the gateway.
 * - After `expiresAt` nothing is captured: the gateway is only asked whether it already holds a
 *   result for the key (a capture made before the expiry whose commit here failed), else the answer
 *   is PaymentDeclined with CHARGE_EXPIRED.
 * - Commands about one paymentId are serialised across transactions (transaction-scoped advisory locks,
 *   taken for the whole batch in sorted order), so a command from the main topic and one from a retry
 *   tier never race; inside a batch, the commands of one paymentId are applied one after the other in
 *   batch order, commands of different payments concurrently (bounded by PROVIDER_CONCURRENCY).
 * - Refunds never total more than was captured: bounded here by the payment row, and by the gateway.
 *
 * Why a gateway failure is a rejection and not a `BatchItemError`: a rejected command has no effect in
 * the transaction (nothing is recorded for it), so the rest of the batch commits with the gateway results
 * already in hand, and the runner routes the command by its error (retryable: the next retry tier, where
 * the same idempotency key gets whatever the gateway did; not retryable: the dead-letter topic).
 * Throwing `BatchItemError` would be safe as well (every gateway call is idempotent by key), but would
 * re-run the other items and call the gateway again for each of them. Infrastructure errors (our own
 * database, which the simulated gateway also lives in) are thrown as they are: the batch is retried in place.
 */
import type { EventMeta, EventPayload, Money } from '@shop/contracts';
import {
  type AnyAppendEventInput,
  type BatchResult,
  classifyFailure,
  type EventBatchItem,
  type EventWriter,
  type PoolClient,
  type Rejection,
  withLogContext,
} from '@shop/platform';
import {
  findPaymentsAndRefunds,
  lockPaymentIds,
  type NewPayment,
  type NewRefund,
  type PaymentRecord,
  type RefundRecord,
  writePaymentResults,
} from '../db/payment-repository.ts';
import { DECLINE_MESSAGES } from '../domain/decline-messages.ts';
import { refundableAmount } from '../domain/refund-amount.ts';
import { paymentError } from '../errors.ts';
import type { PaymentMetrics } from '../metrics.ts';
import type { ChargeResult, PaymentProvider } from '../provider/payment-provider.ts';

/**
 * Most gateway calls of one batch in flight at once. Commands of one payment id are always sequential;
 * this bounds how many payments are worked on together (and, for the simulated gateway, how many of its
 * pool's connections one batch can ask for).
 */
export const PROVIDER_CONCURRENCY = 8;

export interface ProcessPaymentsDependencies {
  events: EventWriter;
  provider: PaymentProvider;
  metrics: PaymentMetrics;
  /** The clock compared with ChargePayment.expiresAt. */
  now: () => Date;
}

type Command =
  | { type: 'ChargePayment'; payload: EventPayload<'ChargePayment'> }
  | { type: 'RefundPayment'; payload: EventPayload<'RefundPayment'> };

/** What the batch knows about one payment id: the record (read or made in this batch) and what it adds. */
interface PaymentState {
  payment: PaymentRecord | undefined;
  /** Set when the payment is made in this batch (then inserted with its refunded amount). */
  created?: NewPayment;
  /** Refunded in this batch, for a payment recorded before it. */
  refundedDelta: number;
}

/** Counter increments of the batch, applied once the batch's writes succeeded. */
type MetricStep = (metrics: PaymentMetrics) => void;

/** One item's outcome: its reply, or its rejection. */
type ItemOutcome = { reply: AnyAppendEventInput } | { rejection: Rejection };

/** Runs on the batch's transaction (`client`); see the module comment for what it guarantees. */
export async function processPayments(
  client: PoolClient,
  items: ReadonlyArray<EventBatchItem>,
  dependencies: ProcessPaymentsDependencies,
): Promise<BatchResult> {
  const { events, metrics } = dependencies;
  const outcomes = new Map<number, ItemOutcome>();
  const commands: Array<{ item: EventBatchItem; command: Command }> = [];
  for (const item of items) {
    const command = toCommand(item);
    if (command === undefined) {
      const error = paymentError('PAY_UNEXPECTED_EVENT', `processPayments does not handle ${item.event.type}`);
      outcomes.set(item.index, { rejection: { index: item.index, error } });
    } else {
      commands.push({ item, command });
    }
  }

  const paymentIds = commands.map(({ command }) => command.payload.paymentId);
  const refundIds = commands.flatMap(({ command }) =>
    command.type === 'RefundPayment' ? [command.payload.refundId] : [],
  );
  await lockPaymentIds(client, paymentIds);
  const recorded = await findPaymentsAndRefunds(client, paymentIds, refundIds);

  // The commands of each payment id, in batch order.
  const groups = new Map<string, Array<{ item: EventBatchItem; command: Command }>>();
  for (const entry of commands) {
    const id = entry.command.payload.paymentId.toLowerCase();
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [entry]);
    else group.push(entry);
  }
  const states = new Map<string, PaymentState>();
  const refunds = recorded.refunds;
  const newRefunds: NewRefund[] = [];
  const steps: MetricStep[] = [];
  const context: BatchWork = { dependencies, refunds, newRefunds, steps };

  await forEachBounded([...groups], PROVIDER_CONCURRENCY, async ([id, group]) => {
    const state: PaymentState = { payment: recorded.payments.get(id), refundedDelta: 0 };
    states.set(id, state);
    for (const { item, command } of group) {
      try {
        const { meta } = item;
        const logContext = {
          orderId: command.payload.orderId,
          eventId: meta.eventId,
          correlationId: meta.correlationId,
        };
        const reply = await withLogContext(logContext, () =>
          command.type === 'ChargePayment'
            ? charge(command.payload, meta, state, context)
            : refund(command.payload, meta, state, context),
        );
        outcomes.set(item.index, { reply });
      } catch (error) {
        // Our own database or broker: the batch is retried in place (the gateway keys make that safe).
        if (classifyFailure(error).kind === 'infrastructure') throw error;
        outcomes.set(item.index, { rejection: { index: item.index, error } });
      }
    }
  });

  const created: NewPayment[] = [];
  const refunded = new Map<string, number>();
  for (const state of states.values()) {
    if (state.created !== undefined) created.push({ ...state.created, refundedMinor: state.refundedDelta });
    else if (state.payment !== undefined && state.refundedDelta > 0)
      refunded.set(state.payment.paymentId, state.refundedDelta);
  }
  await writePaymentResults(client, { payments: created, refunds: newRefunds, refunded });
  const replies: AnyAppendEventInput[] = [];
  const rejected: Rejection[] = [];
  for (const item of items) {
    const outcome = outcomes.get(item.index);
    if (outcome === undefined) throw new Error(`processPayments left batch item ${item.index} without an outcome`);
    if ('reply' in outcome) replies.push(outcome.reply);
    else rejected.push(outcome.rejection);
  }
  await events.appendAll(client, replies);
  for (const step of steps) step(metrics);
  return rejected.length === 0 ? {} : { rejected };
}

/** The state one batch's commands share while they are worked on. */
interface BatchWork {
  dependencies: ProcessPaymentsDependencies;
  /** Refunds recorded before the batch or made in it, by lowercase refund id. */
  refunds: Map<string, RefundRecord>;
  newRefunds: NewRefund[];
  steps: MetricStep[];
}

function toCommand(item: EventBatchItem): Command | undefined {
  const { event } = item;
  if (event.type === 'ChargePayment') return { type: event.type, payload: event.payload };
  if (event.type === 'RefundPayment') return { type: event.type, payload: event.payload };
  return undefined;
}

async function charge(
  command: EventPayload<'ChargePayment'>,
  cause: EventMeta,
  state: PaymentState,
  { dependencies: { provider, now }, steps }: BatchWork,
): Promise<AnyAppendEventInput> {
  const { orderId, paymentId } = command;
  let payment = state.payment;
  if (payment !== undefined) {
    steps.push((metrics) => metrics.charges.inc({ outcome: 'repeated' }));
  } else {
    const expired = now().getTime() > Date.parse(command.expiresAt);
    let result: ChargeResult;
    if (expired) {
      result = (await provider.findCharge(paymentId)) ?? {
        outcome: 'DECLINED',
        reason: 'CHARGE_EXPIRED',
        message: DECLINE_MESSAGES.CHARGE_EXPIRED,
      };
    } else {
      result = await provider.authorizeAndCapture(
        { customerId: command.customerId, amount: command.amount },
        { idempotencyKey: paymentId },
      );
    }
    const created: NewPayment = {
      paymentId,
      orderId,
      customerId: command.customerId,
      status: result.outcome,
      amount: result.outcome === 'CAPTURED' ? result.amount : command.amount,
      declineReason: result.outcome === 'DECLINED' ? result.reason : null,
      providerReference: result.outcome === 'CAPTURED' ? result.reference : null,
      refundedMinor: 0,
      causedByEventId: cause.eventId,
    };
    payment = { ...created, refundedMinor: 0, createdAt: now() };
    state.payment = payment;
    state.created = created;
    const outcome =
      result.outcome === 'CAPTURED' ? 'captured' : result.reason === 'CHARGE_EXPIRED' ? 'expired' : 'declined';
    steps.push((metrics) => metrics.charges.inc({ outcome }));
  }
  if (payment.status === 'CAPTURED') {
    return {
      type: 'PaymentCaptured',
      payload: { orderId, paymentId, amount: payment.amount },
      causedBy: { cause },
    };
  }
  const code = payment.declineReason ?? 'CARD_DECLINED';
  return {
    type: 'PaymentDeclined',
    payload: { orderId, paymentId, reason: { code, message: DECLINE_MESSAGES[code] } },
    causedBy: { cause },
  };
}

async function refund(
  command: EventPayload<'RefundPayment'>,
  cause: EventMeta,
  state: PaymentState,
  { dependencies: { provider, now }, refunds, newRefunds, steps }: BatchWork,
): Promise<AnyAppendEventInput> {
  const { orderId, paymentId, refundId } = command;
  const payment = state.payment;
  const earlier = refunds.get(refundId.toLowerCase());
  if (earlier !== undefined) {
    steps.push((metrics) => metrics.refunds.inc({ outcome: 'repeated' }));
    return {
      type: 'PaymentRefunded',
      payload: { orderId, paymentId, refundId, amount: earlier.amount },
      causedBy: { cause },
    };
  }
  if (payment?.status === 'CAPTURED' && payment.amount.currency !== command.amount.currency) {
    throw paymentError(
      'PAY_CURRENCY_MISMATCH',
      `Refund ${refundId} in ${command.amount.currency} of payment ${paymentId} captured in ${payment.amount.currency}`,
      { details: { orderId, paymentId, refundId } },
    );
  }
  let amount: Money = { amountMinor: 0, currency: command.amount.currency };
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
  const created: NewRefund = {
    refundId,
    paymentId,
    orderId,
    requestedMinor: command.amount.amountMinor,
    amount,
    providerReference,
    causedByEventId: cause.eventId,
  };
  newRefunds.push(created);
  refunds.set(refundId.toLowerCase(), { ...created, createdAt: now() });
  if (payment !== undefined && amount.amountMinor > 0) {
    // Later commands of the batch see the refunded total; the write adds it once.
    state.payment = { ...payment, refundedMinor: payment.refundedMinor + amount.amountMinor };
    state.refundedDelta += amount.amountMinor;
  }
  const refundedMinor = amount.amountMinor;
  steps.push((metrics) => {
    metrics.refunds.inc({ outcome: refundedMinor > 0 ? 'refunded' : 'nothing' });
    if (refundedMinor > 0) metrics.refundedMinor.inc({ currency: amount.currency }, refundedMinor);
  });
  return {
    type: 'PaymentRefunded',
    payload: { orderId, paymentId, refundId, amount },
    causedBy: { cause },
  };
}

/**
 * Runs `work` for every entry with at most `limit` in flight. Every started work is awaited before the
 * first failure is thrown: nothing keeps running against a transaction the caller is about to give up.
 */
async function forEachBounded<T>(entries: readonly T[], limit: number, work: (entry: T) => Promise<void>) {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < entries.length && failures.length === 0) {
      const entry = entries[next++] as T;
      try {
        await work(entry);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, entries.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
