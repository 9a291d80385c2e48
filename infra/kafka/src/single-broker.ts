import { awaitNodesReady } from './await-nodes-ready.ts';
import {
  assertSecuredStorage,
  type BrokerSecurity,
  ensureBrokerSecurity,
  recordScramUsers,
} from './broker-security.ts';
import { requireJava } from './executables.ts';
import { formatStorage, isFormatted } from './format-storage.ts';
import { isPortFree } from './free-ports.ts';
import { type HeapSettings, SINGLE_BROKER_HEAP } from './jvm-options.ts';
import { KafkaNode } from './kafka-node.ts';
import { randomKafkaUuid } from './kafka-uuid.ts';
import { advertisedAddress } from './loopback.ts';
import { nodeLayout } from './node-layout.ts';
import { DEFAULT_SINGLE_DIR } from './repo-paths.ts';
import { consoleReporter, type Reporter } from './reporter.ts';
import { resolveKafka } from './resolve-kafka.ts';
import { ensureScramUsers } from './scram-users.ts';
import { DEFAULT_READY_TIMEOUT_MS } from './wait-for-metadata.ts';

export const DEFAULT_CLIENT_PORT = 9092;
export const DEFAULT_CONTROLLER_PORT = 9093;
/** A single node has nothing to elect against, so it gets a fixed, recognisable id. */
const SINGLE_NODE_ID = 1;

export interface SingleBrokerOptions {
  clientPort?: number;
  controllerPort?: number;
  /** Node directory (properties, data, logs, pid file); default .run/kafka/single. */
  dataDir?: string;
  /** true: the broker outlives this process (CLI start); false: it is our child and dies with us. */
  detached?: boolean;
  /** Copy the broker's console warnings to stderr (foreground mode). */
  echo?: boolean;
  heap?: HeapSettings;
  readyTimeoutMs?: number;
  /** Extra server.properties entries, applied last. */
  extraProperties?: Record<string, string>;
  report?: Reporter;
  env?: NodeJS.ProcessEnv;
}

export interface SingleBroker {
  bootstrapServers: string[];
  node: KafkaNode;
  /** Its generated passwords (credentials directory, the provisioner's login). */
  security: BrokerSecurity;
  /** True when a broker from an earlier detached start was found answering and reused. */
  alreadyRunning: boolean;
  stop(): Promise<void>;
}

/** Starts (or finds already running) one combined broker+controller node with replication factor 1. */
export async function startSingleBroker(options: SingleBrokerOptions = {}): Promise<SingleBroker> {
  const report = options.report ?? consoleReporter;
  const startedAt = Date.now();
  const resolved = await resolveKafka({ report, env: options.env });
  const clientPort = options.clientPort ?? DEFAULT_CLIENT_PORT;
  const controllerPort = options.controllerPort ?? DEFAULT_CONTROLLER_PORT;
  const layout = nodeLayout(options.dataDir ?? DEFAULT_SINGLE_DIR);
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  assertSecuredStorage([layout], layout.dir);
  const security = ensureBrokerSecurity(layout.dir);
  const node = new KafkaNode(
    {
      nodeId: SINGLE_NODE_ID,
      clientPort,
      controllerPort,
      controllerQuorum: [advertisedAddress(controllerPort)],
      replication: { replicationFactor: 1, minInsyncReplicas: 1 },
      layout,
      security,
      extraProperties: options.extraProperties,
    },
    {
      java: requireJava(options.env),
      classpath: resolved.classpath,
      heap: options.heap ?? SINGLE_BROKER_HEAP,
      detached: options.detached ?? false,
      echo: options.echo,
      env: options.env,
    },
  );
  const handle = (alreadyRunning: boolean): SingleBroker => ({
    bootstrapServers: [node.bootstrapServer],
    node,
    security,
    alreadyRunning,
    stop: () => node.stop(),
  });

  if (node.adoptRunning()) {
    report(`Kafka is already running (pid ${node.pid}, ${node.bootstrapServer}, dir ${layout.dir})`);
    await awaitNodesReady([node], [node], [SINGLE_NODE_ID], readyTimeoutMs);
    await ensureScramUsers(security, node.bootstrapServer, resolved.classpath, report);
    return handle(true);
  }

  // Another process on our ports (a broker started from another checkout, say) would answer the readiness
  // check in our broker's place while ours fails to bind: refuse clearly instead.
  for (const port of [node.clientPort, node.controllerPort]) {
    if (!(await isPortFree(port))) {
      throw new Error(
        `Port ${port} is already in use by a process this checkout did not start. Stop it, or use that cluster ` +
          `with KAFKA_BOOTSTRAP_SERVERS=localhost:${node.clientPort}.`,
      );
    }
  }
  node.writeProperties();
  if (!isFormatted(layout)) {
    await formatStorage(layout, randomKafkaUuid(), { kind: 'standalone' }, resolved.classpath, security);
    recordScramUsers(security);
  }
  report(`Starting Kafka ${resolved.version} on ${node.bootstrapServer} (dir ${layout.dir})`);
  await node.launch();
  try {
    await awaitNodesReady([node], [node], [SINGLE_NODE_ID], readyTimeoutMs);
    await ensureScramUsers(security, node.bootstrapServer, resolved.classpath, report);
  } catch (error) {
    await node.stop();
    throw error;
  }
  report(
    `Kafka ready on ${node.bootstrapServer} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pid ${node.pid})`,
  );
  return handle(false);
}
