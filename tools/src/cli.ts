import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
/**
 * Operator CLI: `npm run cli -- <command>`. Reads KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL like the services.
 *
 *   topics plan [--json] [--exit-code]   what `apply` would change on the cluster
 *   topics apply [--prune]               create / grow / re-configure topics and create the catalog's ACLs
 *                                        (--prune: also delete managed principals' ACLs the catalog lacks)
 *   dlt list|show|replay                 inspect and replay dead-letter topics (see dlt/dlt-cli.ts)
 *   lag [--group g] [--json] [--watch]   consumer lag in records and time, with status (see lag/lag-cli.ts)
 *   saga show|retry <orderId>            an order's saga; retry a COMPENSATION_FAILED one (see saga/saga-cli.ts)
 *   token --customer <id>|--operator     a bearer token for the local stack (see auth/token-command.ts)
 */
import {
  CommonEnvSchema,
  type KafkaConnection,
  type KafkaNamespace,
  kafkaConnectionFromEnv,
  kafkaNamespace,
  loadEnv,
  NAMESPACE_PATTERN,
} from '@shop/platform';
import {
  type AclProvisionResult,
  describeAcl,
  describeAction,
  isApplicable,
  provisionTopics,
} from '@shop/platform/provisioning';
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
  connection: KafkaConnection;
  namespace: KafkaNamespace;
} {
  const env = loadEnv(CliEnvSchema);
  const prefix = namespaceOption ?? env.KAFKA_NAMESPACE;
  if (!new RegExp(NAMESPACE_PATTERN).test(prefix)) {
    throw new Error(`--namespace ${JSON.stringify(prefix)} does not match ${NAMESPACE_PATTERN}`);
  }
  return {
    connection: kafkaConnectionFromEnv(process.env, { clientId: 'shop-cli', principal: TOOL_PRINCIPALS.provisioner }),
    namespace: kafkaNamespace(prefix),
  };
}
const NAMESPACE_OPTION = [
  '--namespace <prefix>',
  'topic prefix (default: $KAFKA_NAMESPACE, empty in production)',
] as const;

/** The ACL lines of a plan or an apply; nothing when the cluster has no authorizer. */
function aclLines(acls: AclProvisionResult | undefined, applied: boolean): string[] {
  if (acls === undefined) return [];
  if (!acls.enforced) return ['ACLs: the cluster runs without an authorizer; none apply'];
  const lines: string[] = [];
  for (const binding of applied ? acls.created : acls.missing)
    lines.push(`${applied ? 'applied ' : ''}+ acl ${describeAcl(binding)} (${binding.reason})`);
  const pruned = new Set(acls.deleted);
  for (const binding of acls.extra) {
    lines.push(
      pruned.has(binding)
        ? `applied - acl ${describeAcl(binding)} (pruned: not from the catalog)`
        : `? acl ${describeAcl(binding)} (not from the catalog; kept, "topics apply --prune" deletes it)`,
    );
  }
  return lines;
}

function aclDrift(acls: AclProvisionResult | undefined): number {
  return acls?.enforced ? acls.missing.length + acls.extra.length : 0;
}

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
      if (result.actions.length === 0 && aclDrift(result.acls) === 0)
        process.stdout.write('No drift: the cluster matches the catalog.\n');
      for (const action of result.actions) process.stdout.write(`${describeAction(action)}\n`);
      for (const line of aclLines(result.acls, false)) process.stdout.write(`${line}\n`);
    }
    if (options.exitCode && result.actions.length + aclDrift(result.acls) > 0) process.exitCode = EXIT_DRIFT;
  });

topics
  .command('apply')
  .description(
    "Create missing topics, add partitions, fix configs and create the catalog's ACLs; never deletes or shrinks",
  )
  .option(...NAMESPACE_OPTION)
  .option('--prune', "also delete the managed principals' ACLs in the namespace that the catalog does not imply")
  .action(async (options: { namespace?: string; prune?: boolean }) => {
    const result = await provisionTopics({ ...target(options.namespace), apply: true, prune: options.prune === true });
    for (const warning of result.warnings) process.stdout.write(`warning: ${warning}\n`);
    for (const action of result.applied) process.stdout.write(`applied ${describeAction(action)}\n`);
    const aclChanges = (result.acls?.created.length ?? 0) + (result.acls?.deleted.length ?? 0);
    for (const line of aclLines(result.acls, true)) process.stdout.write(`${line}\n`);
    const refused = result.actions.filter((action) => !isApplicable(action));
    for (const action of refused) process.stderr.write(`refused ${describeAction(action)}\n`);
    if (result.applied.length === 0 && refused.length === 0 && aclChanges === 0)
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
