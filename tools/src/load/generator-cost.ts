/**
 * What the load generator itself costs, with nothing else in the way: the generator runs against a stub of
 * the stack's HTTP API (in its own process) that accepts every order and settles it STUB_SETTLE_MS later,
 * and prints the generator's CPU share of one core. The generator shares the machine with the stack it
 * measures, so it must stay cheap: at most a tenth of a core at 500 orders/s.
 *
 *   node tools/src/load/generator-cost.ts --rate 500 --duration 20
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Command } from 'commander';
import { runLoad } from './load-run.ts';

/** The stub's placed→final time: long enough that many long-polls are open at once, as against the stack. */
const STUB_SETTLE_MS = 200;
/** The budget: generator CPU per second of load, in cores. */
export const GENERATOR_CPU_BUDGET_CORES = 0.1;

function stub(): void {
  const orders = new Map<string, { createdAt: string; settleAt: number; phone: boolean }>();
  const products = [
    { sku: 'STUB-PLENTY', available: 1_000_000_000, reserved: 0, sold: 0 },
    { sku: 'STUB-SCARCE', available: 10, reserved: 0, sold: 0 },
  ];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const orderId = url.searchParams.get('orderId') ?? url.pathname.split('/')[2] ?? '';
      const order = orders.get(orderId);
      if (req.method === 'GET' && url.pathname === '/inventory') return send(200, { items: products, nextAfter: null });
      if (req.method === 'PUT') return send(200, {});
      if (req.method === 'POST' && url.pathname === '/orders') {
        const id = randomUUID();
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { contact: { phone?: string } };
        orders.set(id, {
          createdAt: new Date().toISOString(),
          settleAt: Date.now() + STUB_SETTLE_MS,
          phone: body.contact.phone !== undefined,
        });
        return send(202, { orderId: id, status: 'PENDING' });
      }
      if (order === undefined) return send(404, {});
      const total = { amountMinor: 1_000, currency: 'EUR' };
      if (url.pathname === '/notifications') {
        return send(200, [{ channel: 'email' }, ...(order.phone ? [{ channel: 'sms' }] : [])]);
      }
      if (url.pathname === '/payments') {
        return send(200, { payments: [{ status: 'CAPTURED', amount: total, refunded: { ...total, amountMinor: 0 } }] });
      }
      setTimeout(
        () =>
          send(200, {
            orderId,
            status: 'CONFIRMED',
            createdAt: order.createdAt,
            settledAt: new Date(order.settleAt).toISOString(),
            total,
          }),
        Math.max(0, order.settleAt - Date.now()),
      );
    });
  });
  // Fastify's default, so idle keep-alive connections live as long as they do against the services.
  server.keepAliveTimeout = 72_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.(typeof address === 'object' && address !== null ? address.port : 0);
  });
}

if (process.argv.includes('--stub')) stub();
else {
  const options = new Command('generator-cost')
    .option('--rate <n>', 'orders per second', Number, 500)
    .option('--duration <seconds>', 'how long to send', Number, 20)
    .parse()
    .opts<{ rate: number; duration: number }>();
  const child = fork(new URL(import.meta.url).pathname, ['--stub'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  const base = `http://127.0.0.1:${port}`;
  // Measured from the first order sent to the last one settled: the reconciliation that follows is not
  // the hot path, and is skipped (the process exits once the figure is printed).
  let startCpu = process.cpuUsage();
  let startedAt = 0;
  const settled = Promise.withResolvers<{ cpu: NodeJS.CpuUsage; seconds: number }>();
  try {
    void runLoad({
      // The stub checks no token; a real one is minted anyway, so its cost is part of the measurement.
      urls: { order: base, inventory: base, payment: base, notification: base, authSecret: 'x'.repeat(32) },
      rate: options.rate,
      durationSeconds: options.duration,
      drainSeconds: 10,
      scarceShare: 0.05,
      checkNotifications: false,
      onStart: () => {
        startCpu = process.cpuUsage();
        startedAt = performance.now();
      },
      onSettled: () =>
        settled.resolve({ cpu: process.cpuUsage(startCpu), seconds: (performance.now() - startedAt) / 1_000 }),
    }).catch((error: Error) => settled.reject(error));
    const { cpu, seconds } = await settled.promise;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const share = cpuSeconds / seconds;
    const orders = Math.round(options.rate * options.duration);
    process.stdout.write(
      `generator at ${options.rate}/s for ${options.duration} s: ${(share * 100).toFixed(1)}% of one core ` +
        `(${((cpuSeconds * 1e6) / orders).toFixed(0)} µs per order, ${((cpu.system / 1e6 / cpuSeconds) * 100).toFixed(0)}% of it in the kernel; ` +
        `budget ${GENERATOR_CPU_BUDGET_CORES * 100}%)\n`,
    );
    process.exitCode = share > GENERATOR_CPU_BUDGET_CORES ? 1 : 0;
  } finally {
    child.kill();
  }
  process.exit();
}
