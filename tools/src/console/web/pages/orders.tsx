import { useEffect, useState } from 'preact/hooks';
import type { ConsoleError, Order, OrderList, OrderSnapshot } from '../../contracts.ts';
import { STREAM_PATHS } from '../../contracts.ts';
import { act, money, time, useStream } from '../api.ts';
import { Badge, Empty, Failure, Loading, PartView, StreamBanner } from '../common.tsx';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const STATUSES = ['ALL', 'PENDING', 'CONFIRMED', 'CANCELLED'] as const;
/** What an operator lists across customers: an order status, or a saga state (the Order Service's names). */
const ACROSS = [
  { value: 'status=PENDING', label: 'PENDING' },
  { value: 'status=CONFIRMED', label: 'CONFIRMED' },
  { value: 'status=CANCELLED', label: 'CANCELLED' },
  { value: 'sagaState=RESERVING', label: 'saga RESERVING' },
  { value: 'sagaState=CHARGING', label: 'saga CHARGING' },
  { value: 'sagaState=CANCELLING', label: 'saga CANCELLING' },
  { value: 'sagaState=COMPENSATION_FAILED', label: 'saga COMPENSATION_FAILED' },
] as const;

export function OrdersPage({ query }: { query: string }) {
  const params = new URLSearchParams(query);
  const customerId = params.get('customerId') ?? '';
  const acrossStatus = params.get('status') ?? '';
  const acrossSaga = params.get('sagaState') ?? '';
  const across = acrossStatus !== '' ? `status=${acrossStatus}` : acrossSaga !== '' ? `sagaState=${acrossSaga}` : '';
  const [acrossInput, setAcrossInput] = useState(across === '' ? ACROSS[0].value : across);
  const [orderInput, setOrderInput] = useState('');
  const [customerInput, setCustomerInput] = useState(customerId);
  const [inputError, setInputError] = useState<string | undefined>();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('ALL');
  const [result, setResult] = useState<
    | { state: 'idle' }
    | { state: 'loading' }
    | { state: 'done'; list: OrderList }
    | { state: 'failed'; error: ConsoleError }
  >({ state: 'idle' });

  useEffect(() => {
    // A customer's orders, or (an operator's view) every customer's orders in one state.
    const search =
      customerId !== '' ? `customerId=${encodeURIComponent(customerId)}` : across !== '' ? across : undefined;
    if (search === undefined) {
      setResult({ state: 'idle' });
      return;
    }
    setResult({ state: 'loading' });
    void act<OrderList>('GET', `/api/orders?${search}`).then((answer) =>
      setResult(answer.ok ? { state: 'done', list: answer.body } : { state: 'failed', error: answer.error }),
    );
  }, [customerId, across]);

  const findOrder = (event: Event) => {
    event.preventDefault();
    const id = orderInput.trim();
    if (!UUID.test(id)) return setInputError('An order id is a UUID, like 3f2c…-…');
    setInputError(undefined);
    location.hash = `#/orders/${id.toLowerCase()}`;
  };
  const findCustomer = (event: Event) => {
    event.preventDefault();
    const id = customerInput.trim();
    if (!UUID.test(id)) return setInputError('A customer id is a UUID');
    setInputError(undefined);
    location.hash = `#/orders?customerId=${id.toLowerCase()}`;
  };
  const listState = (event: Event) => {
    event.preventDefault();
    setInputError(undefined);
    location.hash = `#/orders?${acrossInput}`;
  };
  const byCustomer = customerId !== '';
  const orders =
    result.state === 'done'
      ? result.list.orders.filter((order) => !byCustomer || status === 'ALL' || order.status === status)
      : [];
  const acrossLabel = ACROSS.find((option) => option.value === across)?.label ?? across;
  return (
    <section>
      <h1>Orders</h1>
      <div class="forms">
        <form onSubmit={findOrder} class="inline-form">
          <label>
            Order id
            <input
              name="orderId"
              value={orderInput}
              onInput={(e) => setOrderInput(e.currentTarget.value)}
              placeholder="order UUID"
            />
          </label>
          <button type="submit">Open order</button>
        </form>
        <form onSubmit={findCustomer} class="inline-form">
          <label>
            Customer id
            <input
              name="customerId"
              value={customerInput}
              onInput={(e) => setCustomerInput(e.currentTarget.value)}
              placeholder="customer UUID"
            />
          </label>
          <button type="submit">List orders</button>
        </form>
        <form onSubmit={listState} class="inline-form">
          <label>
            Every customer's, in state
            <select name="across" value={acrossInput} onChange={(e) => setAcrossInput(e.currentTarget.value)}>
              {ACROSS.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">List in state</button>
        </form>
      </div>
      {inputError === undefined ? null : (
        <p class="field-error" role="alert">
          {inputError}
        </p>
      )}
      {result.state === 'idle' ? (
        <Empty>Open an order by its id, list a customer's orders, or every customer's orders in one state.</Empty>
      ) : null}
      {result.state === 'loading' ? <Loading what="orders" /> : null}
      {result.state === 'failed' ? <Failure error={result.error} what="Orders" /> : null}
      {result.state === 'done' ? (
        <>
          {byCustomer ? (
            <label class="filter">
              State
              <select
                name="status"
                value={status}
                onChange={(e) => setStatus(e.currentTarget.value as (typeof STATUSES)[number])}
              >
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <p class="meta" data-testid="listed-state">
              The newest {orders.length} order{orders.length === 1 ? '' : 's'} of every customer in {acrossLabel}
              {result.list.nextBefore === null ? '' : ' (more exist)'}
            </p>
          )}
          {orders.length === 0 ? (
            <Empty>
              No orders
              {byCustomer ? `${status === 'ALL' ? '' : ` in state ${status}`} for this customer` : ` in ${acrossLabel}`}
              .
            </Empty>
          ) : (
            <table data-testid="order-list">
              <thead>
                <tr>
                  <th>Order</th>
                  <th>Status</th>
                  <th class="num">Total</th>
                  <th>Placed</th>
                </tr>
              </thead>
              <tbody>
                {orders.map((order) => (
                  <tr key={order.orderId}>
                    <td class="mono">
                      <a href={`#/orders/${order.orderId}`}>{order.orderId}</a>
                    </td>
                    <td>
                      <Badge value={order.status} />
                    </td>
                    <td class="num">{money(order.total)}</td>
                    <td>{time(order.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : null}
    </section>
  );
}

export function OrderPage({ orderId }: { orderId: string }) {
  const valid = UUID.test(orderId);
  const stream = useStream<OrderSnapshot>(valid ? STREAM_PATHS.order(orderId) : undefined);
  return (
    <section>
      <p>
        <a href="#/orders">← Orders</a>
      </p>
      <h1>
        Order <span class="mono">{orderId}</span>
      </h1>
      {!valid ? (
        <Failure error={{ code: 'CON_INVALID_INPUT', message: 'An order id is a UUID' }} what="This order" />
      ) : (
        <>
          <StreamBanner stream={stream} />
          {stream.state === 'loading' || stream.data === undefined ? (
            <Loading what="the order" />
          ) : (
            <OrderDetail snapshot={stream.data} />
          )}
        </>
      )}
    </section>
  );
}

function OrderDetail({ snapshot }: { snapshot: OrderSnapshot }) {
  return (
    <>
      <PartView part={snapshot.order} what="The order">
        {(order) => <OrderSummary order={order} />}
      </PartView>
      <h2>Payments</h2>
      <PartView part={snapshot.payments} what="Payments">
        {(value) =>
          value.payments.length === 0 ? (
            <Empty>No payment yet.</Empty>
          ) : (
            <table data-testid="payments">
              <thead>
                <tr>
                  <th>Status</th>
                  <th class="num">Amount</th>
                  <th class="num">Refunded</th>
                  <th>Reason</th>
                  <th>At</th>
                </tr>
              </thead>
              <tbody>
                {value.payments.map((payment) => (
                  <tr key={payment.paymentId}>
                    <td>
                      <Badge value={payment.status} />
                    </td>
                    <td class="num">{money(payment.amount)}</td>
                    <td class="num">{money(payment.refunded)}</td>
                    <td>{payment.declineReason ?? '—'}</td>
                    <td>{time(payment.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </PartView>
      <h2>Reservation</h2>
      <PartView part={snapshot.reservation} what="The reservation">
        {(reservation) =>
          reservation === null ? (
            <Empty>No reservation (yet).</Empty>
          ) : (
            <p data-testid="reservation">
              <Badge value={reservation.status} />{' '}
              {reservation.lines.map((line) => `${line.quantity} × ${line.sku}`).join(', ')}
              {reservation.total === undefined ? '' : ` — ${money(reservation.total)}`}
            </p>
          )
        }
      </PartView>
      <h2>Notifications</h2>
      <PartView part={snapshot.notifications} what="Notifications">
        {(notifications) =>
          notifications.length === 0 ? (
            <Empty>None sent yet.</Empty>
          ) : (
            <table data-testid="notifications">
              <thead>
                <tr>
                  <th>Outcome</th>
                  <th>Channel</th>
                  <th>Status</th>
                  <th class="num">Attempts</th>
                  <th>At</th>
                </tr>
              </thead>
              <tbody>
                {notifications.map((n) => (
                  <tr key={`${n.outcome}/${n.channel}`}>
                    <td>{n.outcome}</td>
                    <td>{n.channel}</td>
                    <td>
                      <Badge value={n.status} />
                    </td>
                    <td class="num">{n.attempts}</td>
                    <td>{time(n.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </PartView>
    </>
  );
}

function OrderSummary({ order }: { order: Order }) {
  const steps = order.saga?.steps ?? [];
  return (
    <>
      <p class="summary">
        <span data-testid="order-status">
          <Badge value={order.status} />
        </span>{' '}
        {order.saga === undefined ? null : (
          <>
            saga <Badge value={order.saga.state} />
          </>
        )}{' '}
        · {money(order.total)} · customer <a href={`#/orders?customerId=${order.customerId}`}>{order.customerId}</a>
      </p>
      {order.cancelReason === undefined ? null : (
        <p data-testid="cancel-reason">
          Cancelled: <code>{order.cancelReason.code}</code> {order.cancelReason.message}
          {order.refunded === undefined ? '' : ` (refunded ${money(order.refunded)})`}
        </p>
      )}
      <p>{order.items.map((item) => `${item.quantity} × ${item.sku}`).join(', ')}</p>
      <Actions order={order} />
      <h2>Saga timeline</h2>
      {steps.length === 0 ? (
        <Empty>No saga step yet.</Empty>
      ) : (
        <ol class="timeline" data-testid="saga-timeline">
          {steps.map((step) => (
            <li key={`${step.step}/${step.attempt}`} data-step={step.step} data-status={step.status}>
              <span class="mono">{step.step}</span> <Badge value={step.status} />
              <span class="meta">
                attempt {step.attempt} · started {time(step.startedAt)} · finished {time(step.finishedAt)}
                {step.deadlineAt === undefined ? '' : ` · due ${time(step.deadlineAt)}`}
              </span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

/** Cancel (as the order's customer) and retry (as an operator), each confirmed before it is sent. */
function Actions({ order }: { order: Order }) {
  const [confirming, setConfirming] = useState<'cancel' | 'retry' | undefined>();
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>();
  const canCancel = order.status === 'PENDING' || order.status === 'CONFIRMED';
  const canRetry = order.saga?.state === 'COMPENSATION_FAILED';
  const run = async (action: 'cancel' | 'retry') => {
    setConfirming(undefined);
    const answer =
      action === 'cancel'
        ? await act<Order>('POST', `/api/orders/${order.orderId}/cancel`)
        : await act<Order>('POST', `/api/sagas/${order.orderId}/retry`);
    setOutcome(
      answer.ok
        ? { ok: true, text: action === 'cancel' ? 'Cancellation accepted.' : 'The saga was sent back to work.' }
        : { ok: false, text: `${answer.error.code}: ${answer.error.message}` },
    );
  };
  if (!canCancel && !canRetry && outcome === undefined) return null;
  return (
    <div class="actions">
      {confirming === undefined ? (
        <>
          {canCancel ? (
            <button type="button" class="danger" onClick={() => setConfirming('cancel')}>
              Cancel order…
            </button>
          ) : null}
          {canRetry ? (
            <button type="button" onClick={() => setConfirming('retry')}>
              Retry compensation…
            </button>
          ) : null}
        </>
      ) : (
        <div class="confirm" role="alertdialog" aria-label="Confirm">
          {confirming === 'cancel'
            ? 'Cancel this order as its customer? A captured payment is refunded and the stock released.'
            : 'Send this COMPENSATION_FAILED saga back to work as an operator?'}
          <button type="button" class="danger" onClick={() => void run(confirming)}>
            {confirming === 'cancel' ? 'Yes, cancel it' : 'Yes, retry'}
          </button>
          <button type="button" onClick={() => setConfirming(undefined)}>
            No
          </button>
        </div>
      )}
      {outcome === undefined ? null : (
        <p class={outcome.ok ? 'ok' : 'field-error'} role="status">
          {outcome.text}
        </p>
      )}
    </div>
  );
}
