/**
 * The message templates: what the customer reads for each outcome, on each channel. Plain text only,
 * so nothing from an event can be interpreted as markup. Every cancel reason code has its own sentence:
 * the map is typed by the contract's closed list of codes, so a new code fails the type check here.
 */
import type { EventPayload, ORDER_CANCEL_REASONS } from '@shop/contracts';
import type { ChannelKind, OutboundMessage } from './channel.ts';
import { formatMoney } from './money.ts';
import type { OutcomeEvent } from './outcome.ts';

/** Longest SMS we send: one GSM-7 segment, so a message is never split or billed twice. */
export const MAX_SMS_LENGTH = 160;

/** How the shop signs its messages. */
export const SHOP_NAME = 'Shop';

/** Characters of the order id shown in subjects and SMS (the full id is in the e-mail body). */
export const SHORT_ORDER_ID_LENGTH = 8;

/** A cancel reason code of the contract (typed from its closed list, so the map below must cover every one). */
export type CancelReasonCode = (typeof ORDER_CANCEL_REASONS)[number];

/** Why an order was cancelled, in words, completing "Your order was cancelled because ...". */
export const CANCEL_REASON_TEXT: Readonly<Record<CancelReasonCode, string>> = {
  ITEMS_UNAVAILABLE: 'some of the items are not available in the quantity you ordered',
  PAYMENT_DECLINED: 'your payment was declined',
  CUSTOMER_CANCELLED: 'you asked us to cancel it',
  PROCESSING_TIMEOUT: 'we could not complete it in time',
};

/**
 * Used only for a code outside the contract's list, which decoding already rejects (a new code is a new
 * event version, deployed to this consumer first). Should one slip through, the customer still learns the
 * order was cancelled, and the e-mail carries the event's own human-readable reason.
 */
export const UNKNOWN_REASON_TEXT = 'of a problem with it';

/** The sentence for `code`. */
export function cancelReasonText(code: string): string {
  return Object.hasOwn(CANCEL_REASON_TEXT, code) ? CANCEL_REASON_TEXT[code as CancelReasonCode] : UNKNOWN_REASON_TEXT;
}

function shortId(orderId: string): string {
  return orderId.slice(0, SHORT_ORDER_ID_LENGTH);
}

/** Cuts `text` to MAX_SMS_LENGTH, marking the cut, so an unexpectedly long value never splits an SMS. */
export function fitSms(text: string): string {
  return text.length <= MAX_SMS_LENGTH ? text : `${text.slice(0, MAX_SMS_LENGTH - 1)}…`;
}

function confirmed(payload: EventPayload<'OrderConfirmed'>, channel: ChannelKind): Omit<OutboundMessage, 'to'> {
  const total = formatMoney(payload.total);
  if (channel === 'sms') {
    return {
      channel,
      text: fitSms(`${SHOP_NAME}: your order ${shortId(payload.orderId)} is confirmed. Total ${total}.`),
    };
  }
  const lines = payload.lines.map((line) => `  ${line.quantity} x ${line.sku}`).join('\n');
  return {
    channel,
    subject: `Your order ${shortId(payload.orderId)} is confirmed`,
    text: [
      'Hello,',
      '',
      'thank you for your order. It is confirmed and we are preparing it.',
      '',
      `Order ${payload.orderId}`,
      lines,
      `Total: ${total}`,
      '',
      `${SHOP_NAME}`,
      '',
    ].join('\n'),
  };
}

function cancelled(payload: EventPayload<'OrderCancelled'>, channel: ChannelKind): Omit<OutboundMessage, 'to'> {
  const because = cancelReasonText(payload.reason.code);
  const refunded = payload.refunded === undefined ? undefined : formatMoney(payload.refunded);
  if (channel === 'sms') {
    const money = refunded === undefined ? 'Not charged.' : `Refunded ${refunded}.`;
    return {
      channel,
      text: fitSms(`${SHOP_NAME}: order ${shortId(payload.orderId)} cancelled because ${because}. ${money}`),
    };
  }
  const money =
    refunded === undefined ? 'You have not been charged.' : `We have refunded ${refunded} to your payment method.`;
  return {
    channel,
    subject: `Your order ${shortId(payload.orderId)} was cancelled`,
    text: [
      'Hello,',
      '',
      `we are sorry: your order ${payload.orderId} was cancelled because ${because}.`,
      `Details: ${payload.reason.message}`,
      money,
      '',
      `${SHOP_NAME}`,
      '',
    ].join('\n'),
  };
}

/** The message telling the customer about `outcome` on `channel` (without the recipient). */
export function renderMessage(outcome: OutcomeEvent, channel: ChannelKind): Omit<OutboundMessage, 'to'> {
  switch (outcome.type) {
    case 'OrderConfirmed':
      return confirmed(outcome.payload, channel);
    case 'OrderCancelled':
      return cancelled(outcome.payload, channel);
  }
}
