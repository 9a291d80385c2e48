/**
 * `npm run cli -- saga ...`: the operator's view of order sagas, through the Order Service's HTTP API (the
 * tools never read a service's database).
 *
 *   saga show <orderId>    the order, its saga state and every step attempt with times
 *   saga retry <orderId>   send a COMPENSATION_FAILED saga's parked steps again (alert OrderSagaCompensationFailed)
 */
import { Command } from 'commander';
import { operatorBearer } from '../auth/token-command.ts';

/** Where the Order Service listens unless --order-url says otherwise (npm start's default). */
export const DEFAULT_ORDER_URL = 'http://127.0.0.1:8081';
/** A request to the Order Service must not hang the command. */
const HTTP_TIMEOUT_MS = 10_000;

interface StepView {
  step: string;
  attempt: number;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  deadlineAt?: string;
}

interface OrderView {
  orderId: string;
  status: string;
  cancelReason?: { code: string; message: string };
  saga?: { state: string; steps: StepView[] };
}

/** Both commands act as an operator: --token, else SHOP_TOKEN, else a token minted from the local secret. */
async function call(
  url: string,
  method: 'GET' | 'POST',
  token: string | undefined,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${await operatorBearer(token)}` },
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** A human-readable saga: one line per step attempt. */
export function formatSaga(order: OrderView): string {
  const lines = [
    `order ${order.orderId}: ${order.status}${order.cancelReason ? ` (${order.cancelReason.code})` : ''}, saga ${order.saga?.state ?? '?'}`,
  ];
  for (const step of order.saga?.steps ?? []) {
    const end = step.finishedAt ?? (step.deadlineAt ? `due ${step.deadlineAt}` : 'waiting for an operator');
    lines.push(`  ${step.step.padEnd(15)} #${step.attempt}  ${step.status.padEnd(10)} ${step.startedAt} → ${end}`);
  }
  return lines.join('\n');
}

/**
 * The error of a refused request. The Order Service answers `{"error":{"code","message"}}` (every service's
 * error body); the code is carried on the error so the CLI prints it as `error [CODE]: ...`. A body of
 * another shape (a proxy's page) is shown as it came.
 */
export function failure(status: number, body: unknown): Error & { code?: string } {
  const { code, message } = ((body as { error?: unknown } | undefined)?.error ?? {}) as {
    code?: unknown;
    message?: unknown;
  };
  const text = typeof message === 'string' ? message : JSON.stringify(body);
  return Object.assign(new Error(`HTTP ${status}: ${text}`), typeof code === 'string' ? { code } : {});
}

const TOKEN_OPTION = [
  '--token <jwt>',
  'an operator bearer token (default: $SHOP_TOKEN, or one minted from the local stack secret)',
] as const;

export function sagaCommand(): Command {
  const saga = new Command('saga').description('Inspect and retry order sagas (through the Order Service)');
  saga
    .command('show')
    .argument('<orderId>')
    .option('--order-url <url>', 'Order Service base URL', DEFAULT_ORDER_URL)
    .option('--json', 'print the order as JSON')
    .option(...TOKEN_OPTION)
    .action(async (orderId: string, options: { orderUrl: string; json?: boolean; token?: string }) => {
      const { status, body } = await call(`${options.orderUrl}/orders/${orderId}`, 'GET', options.token);
      if (status !== 200) throw failure(status, body);
      process.stdout.write(`${options.json ? JSON.stringify(body, null, 2) : formatSaga(body as OrderView)}\n`);
    });
  saga
    .command('retry')
    .argument('<orderId>')
    .option('--order-url <url>', 'Order Service base URL', DEFAULT_ORDER_URL)
    .option(...TOKEN_OPTION)
    .description('Send the parked steps of a COMPENSATION_FAILED saga again, with a fresh attempt budget')
    .action(async (orderId: string, options: { orderUrl: string; token?: string }) => {
      const { status, body } = await call(`${options.orderUrl}/sagas/${orderId}/retry`, 'POST', options.token);
      if (status !== 202) throw failure(status, body);
      process.stdout.write(`retried\n${formatSaga(body as OrderView)}\n`);
    });
  return saga;
}
