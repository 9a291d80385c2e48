/**
 * Operator CLI: `npm run cli -- <command>`. Reads KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL like the services.
 *
 *   topics plan [--json] [--exit-code]   what `apply` would change on the cluster
 *   topics apply                         create / grow / re-configure topics to match the catalog
 *   dlt list|show|replay                 inspect and replay dead-letter topics (see dlt/dlt-cli.ts)
 *   lag [--group g] [--json] [--watch]   consumer lag in records and time, with status (see lag/lag-cli.ts)
 *   saga show|retry <orderId>            an order's saga; retry a COMPENSATION_FAILED one (see saga/saga-cli.ts)
 *   token --customer <id>|--operator     a bearer token for the local stack (see auth/token-command.ts)
 */
import {
  CommonEnvSchema,
  type KafkaNamespace,
  kafkaNamespace,
  loadEnv,
  NAMESPACE_PATTERN,
  parseBootstrapServers,
} from '@shop/platform';
import { describeAction, isApplicable, provisionTopics } from '@shop/platform/provisioning';
import { Command } from 'commander';
import Type from 'typebox';
import { tokenCommand } from './auth/token-command.ts';
import { dltCommand } from './dlt/dlt-cli.ts';
import { lagCommand } from './lag/lag-cli.ts';
import { loadCommand } from './load/load-command.ts';
import { sagaCommand } from './saga/saga-cli.ts';

/** `topics plan --exit-code` exits with this when the cluster differs from the catalog. */
const EXIT_DRIFT = 2;

const CliEnvSchema = Type.Object({
  ...CommonEnvSchema.properties,
  /** Topic and group prefix, as the services read it; empty in production. */
  KAFKA_NAMESPACE: Type.String({ default: '', pattern: NAMESPACE_PATTERN }),
});

/**
 * The cluster and the namespace the services of this environment use: a plan or apply against the
 * unprefixed catalog while the services run under KAFKA_NAMESPACE would create topics nobody reads.
 */
function target(namespaceOption: string | undefined): {
  connection: { bootstrapServers: string[]; clientId: string };
  namespace: KafkaNamespace;
} {
  const env = loadEnv(CliEnvSchema);
  const prefix = namespaceOption ?? env.KAFKA_NAMESPACE;
  if (!new RegExp(NAMESPACE_PATTERN).test(prefix)) {
    throw new Error(`--namespace ${JSON.stringify(prefix)} does not match ${NAMESPACE_PATTERN}`);
  }
  return {
    connection: { bootstrapServers: parseBootstrapServers(env.KAFKA_BOOTSTRAP_SERVERS), clientId: 'shop-cli' },
    namespace: kafkaNamespace(prefix),
  };
}
const NAMESPACE_OPTION = [
  '--namespace <prefix>',
  'topic prefix (default: $KAFKA_NAMESPACE, empty in production)',
] as const;

const program = new Command('shop').description('Operator tools for the Kafka commerce system');
const topics = program.command('topics').description('Provision the topic catalog of @shop/contracts');

topics
  .command('plan')
  .description('Print the difference between the catalog and the live cluster')
  .option('--json', 'print the plan as JSON')
  .option('--exit-code', `exit ${EXIT_DRIFT} when there is drift`)
  .option(...NAMESPACE_OPTION)
  .action(async (options: { json?: boolean; exitCode?: boolean; namespace?: string }) => {
    const result = await provisionTopics(target(options.namespace));
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      for (const warning of result.warnings) process.stdout.write(`warning: ${warning}\n`);
      if (result.actions.length === 0) process.stdout.write('No drift: the cluster matches the catalog.\n');
      for (const action of result.actions) process.stdout.write(`${describeAction(action)}\n`);
    }
    if (options.exitCode && result.actions.length > 0) process.exitCode = EXIT_DRIFT;
  });

topics
  .command('apply')
  .description('Create missing topics, add partitions and fix configs; never deletes or shrinks')
  .option(...NAMESPACE_OPTION)
  .action(async (options: { namespace?: string }) => {
    const result = await provisionTopics({ ...target(options.namespace), apply: true });
    for (const warning of result.warnings) process.stdout.write(`warning: ${warning}\n`);
    for (const action of result.applied) process.stdout.write(`applied ${describeAction(action)}\n`);
    const refused = result.actions.filter((action) => !isApplicable(action));
    for (const action of refused) process.stderr.write(`refused ${describeAction(action)}\n`);
    if (result.applied.length === 0 && refused.length === 0)
      process.stdout.write('Nothing to do: the cluster matches the catalog.\n');
    if (refused.length > 0) process.exitCode = 1;
  });

program.addCommand(loadCommand());
program.addCommand(dltCommand());
program.addCommand(lagCommand());
program.addCommand(sagaCommand());
program.addCommand(tokenCommand());

try {
  await program.parseAsync();
} catch (error) {
  const hint = (error as { hint?: string }).hint;
  const code = (error as { code?: string }).code;
  process.stderr.write(
    `error${code ? ` [${code}]` : ''}: ${(error as Error).message}\n${hint ? `fix: ${hint}\n` : ''}`,
  );
  process.exitCode = 1;
}
