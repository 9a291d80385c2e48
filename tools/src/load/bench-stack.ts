/**
 * A private copy of the stack for hand-run load tests, beside anybody's `npm start` on the same machine: the
 * four services as separate processes on their own ports, databases and Kafka namespace, against the broker
 * that is already running (never started or stopped here). Ctrl-C (or SIGTERM) stops the services. Then:
 * `npm run load -- --order-url http://127.0.0.1:<base+1> ...` (printed at start). `npm run bench` does all of
 * this (and more) by itself.
 *
 *   node tools/src/load/bench-stack.ts --namespace bench1 --base-port 18080
 */
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import { kafkaConnectionFromEnv, kafkaNamespace } from '@shop/platform';
import { provisionTopics } from '@shop/platform/provisioning';
import { Command } from 'commander';
import { ensureLocalAuthSecret, localAuthSecret } from '../auth/local-secret.ts';
import { startStackProcesses } from './stack-processes.ts';

const program = new Command('bench-stack')
  .option('--namespace <name>', 'Kafka namespace and database prefix', 'bench')
  .option('--base-port <n>', 'services listen on base+1 (order) … base+4 (notification)', Number, 18_080)
  .option('--log-level <level>', 'services log level', 'warn')
  .option('--node-args <args>', 'extra node arguments for every service, e.g. --cpu-prof', '')
  .option('--decline-rate <0-1>', "share of charges the Payment Service's simulated gateway declines", '0')
  .parse();
const options = program.opts<{
  namespace: string;
  basePort: number;
  logLevel: string;
  nodeArgs: string;
  declineRate: string;
}>();

await provisionTopics({
  connection: kafkaConnectionFromEnv(process.env, { clientId: 'bench-stack', principal: TOOL_PRINCIPALS.provisioner }),
  namespace: kafkaNamespace(options.namespace),
  apply: true,
});

let stack: Awaited<ReturnType<typeof startStackProcesses>> | undefined;
async function stop(code: number): Promise<never> {
  await stack?.stop();
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(0));
try {
  stack = await startStackProcesses({
    namespace: options.namespace,
    basePort: options.basePort,
    logLevel: options.logLevel,
    nodeArgs: options.nodeArgs.split(' ').filter((arg) => arg !== ''),
    declineRate: Number(options.declineRate),
    // The local stack's secret, so that `npm run load` (which reads .run/auth-secret) can act on this stack too.
    authSecret: localAuthSecret(process.env, ensureLocalAuthSecret()),
    onUnexpectedExit: (label, code) => {
      process.stderr.write(`[bench-stack] ${label} exited (code ${code}); stopping\n`);
      void stop(1);
    },
  });
} catch (error) {
  process.stderr.write(`[bench-stack] ${(error as Error).message}\n`);
  process.exit(1);
}
const { urls, pids } = stack;
process.stdout.write(
  `[bench-stack] up; pids ${Object.values(pids).join(' ')}\n` +
    `[bench-stack] npm run load -- --order-url ${urls.order} --inventory-url ${urls.inventory} --payment-url ${urls.payment} --notification-url ${urls.notification}\n`,
);
