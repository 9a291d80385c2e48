import { Command } from 'commander';
import { externalBootstrapServers } from './external-kafka.ts';
import type { InstanceKind } from './instance-dirs.ts';
import { type InstanceStatus, kafkaStatus } from './kafka-status.ts';
import { CONSUMER_GROUP_COMMAND_CLASS, runKafkaTool, TOPIC_COMMAND_CLASS } from './kafka-tools.ts';
import { consoleReporter } from './reporter.ts';
import { showLogs } from './show-logs.ts';
import { type KafkaHandle, startKafka } from './start-kafka.ts';
import { stopKafka } from './stop-kafka.ts';

const kindOf = (options: { cluster?: boolean }): InstanceKind => (options.cluster ? 'cluster' : 'single');

function describeStatus(status: InstanceStatus): string {
  const title = status.kind === 'single' ? 'single broker' : 'cluster';
  if (status.nodes.length === 0) return `${title}: never started`;
  const nodes = status.nodes.map(
    (node) =>
      `  node ${node.nodeId ?? '?'} ${node.bootstrapServer ?? ''} ${node.running ? `running (pid ${node.pid})` : 'stopped'}  ${node.dir}`,
  );
  const summary = !status.running
    ? 'not running'
    : status.answering
      ? `running, answering (live brokers: ${status.brokerIds.join(', ')})`
      : `running but not answering: ${status.problem}`;
  return [`${title}: ${summary}`, ...nodes].join('\n');
}

/** Blocks until Ctrl-C (then stops the broker) or until the broker dies on its own. */
async function holdForeground(handle: KafkaHandle, kind: InstanceKind): Promise<void> {
  const logsCommand = kind === 'cluster' ? 'npm run kafka -- logs --cluster --follow' : 'npm run kafka:logs';
  consoleReporter(`Running in the foreground; Ctrl-C stops it (warnings show here, the full log: ${logsCommand})`);
  const reason = await new Promise<{ why: string; crashed: boolean }>((resolve) => {
    process.once('SIGINT', () => resolve({ why: 'SIGINT', crashed: false }));
    process.once('SIGTERM', () => resolve({ why: 'SIGTERM', crashed: false }));
    void handle.exited?.then((how) => resolve({ why: how, crashed: true }));
  });
  consoleReporter(`Stopping (${reason.why})`);
  await handle.stop();
  if (reason.crashed) process.exitCode = 1;
}

async function runTool(mainClass: string, args: string[]): Promise<void> {
  const result = await runKafkaTool(mainClass, args, { stdio: 'inherit' });
  process.exitCode = result.exitCode;
}

const program = new Command('kafka')
  .description('Local Apache Kafka (KRaft) for development and tests, resolved with Maven')
  .enablePositionalOptions()
  .showHelpAfterError();

program
  .command('start')
  .description('start the single broker (localhost:9092) or the three-node cluster, and wait until it answers')
  .option('--cluster', 'three nodes on localhost:19092-19094 instead of one broker')
  .option('--foreground', 'keep the broker attached to this terminal instead of detaching it')
  .action(async (options: { cluster?: boolean; foreground?: boolean }) => {
    const handle = await startKafka(options);
    if (options.foreground && handle.source === 'started') await holdForeground(handle, kindOf(options));
  });

program
  .command('stop')
  .description('stop the detached single broker (or cluster) via its pid files')
  .option('--cluster', 'stop the three-node cluster')
  .action(async (options: { cluster?: boolean }) => {
    await stopKafka(kindOf(options));
  });

program
  .command('status')
  .description('show whether the local broker and cluster run and answer')
  .action(async () => {
    const external = externalBootstrapServers();
    if (external) console.log(`KAFKA_BOOTSTRAP_SERVERS=${external.join(',')} (start/stop leave local brokers alone)`);
    for (const kind of ['single', 'cluster'] as const) console.log(describeStatus(await kafkaStatus(kind)));
  });

program
  .command('logs')
  .description('print the broker log (server.log) of the single broker or every cluster node')
  .option('--cluster', 'the cluster nodes’ logs')
  .option('--follow', 'keep printing new lines (Ctrl-C to quit)')
  .action(async (options: { cluster?: boolean; follow?: boolean }) => {
    process.exitCode = await showLogs(kindOf(options), options.follow ?? false);
  });

for (const [name, mainClass, script] of [
  ['topics', TOPIC_COMMAND_CLASS, 'kafka-topics.sh'],
  ['consumer-groups', CONSUMER_GROUP_COMMAND_CLASS, 'kafka-consumer-groups.sh'],
] as const) {
  program
    .command(name)
    .description(`${script} (${mainClass}); adds --bootstrap-server $KAFKA_BOOTSTRAP_SERVERS or localhost:9092`)
    .argument('[args...]', `passed to ${script}, e.g. --list`)
    // Every option, --help included, belongs to the Kafka tool, not to this CLI.
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      await runTool(mainClass, args);
    });
}

try {
  await program.parseAsync();
} catch (error) {
  console.error(`[kafka] ${(error as Error).message}`);
  process.exitCode = 1;
}
