import type { SaslCredentials } from './broker-security.ts';
import { startCluster } from './cluster.ts';
import { BOOTSTRAP_ENV_VAR, externalBootstrapServers } from './external-kafka.ts';
import { consoleReporter, type Reporter } from './reporter.ts';
import { startSingleBroker } from './single-broker.ts';
import { type ClientSecurity, waitForMetadata } from './wait-for-metadata.ts';

/** An external cluster is expected to be up already; this only covers a slow first connection. */
const EXTERNAL_CHECK_TIMEOUT_MS = 15_000;

export interface StartKafkaOptions {
  /** The three-node cluster instead of the single broker. */
  cluster?: boolean;
  /** Keep the broker(s) as children of this process instead of detaching them. */
  foreground?: boolean;
  report?: Reporter;
  env?: NodeJS.ProcessEnv;
  /** How to log in to an external cluster (KAFKA_SASL_*, KAFKA_TLS_* as the platform reads them). */
  externalSecurity?: ClientSecurity;
}

export interface KafkaHandle {
  bootstrapServers: string[];
  /** external: KAFKA_BOOTSTRAP_SERVERS; reused: found running from an earlier start; started: by this call. */
  source: 'external' | 'reused' | 'started';
  /**
   * The local instance's logins: the directory with one password file per principal, and the provisioner's
   * (super user) login. Undefined for an external cluster: its credentials come from the user's environment.
   */
  credentials?: { dir: string; admin: SaslCredentials };
  /** Resolves with a description when any local node exits; undefined for an external cluster. */
  exited?: Promise<string>;
  /** Stops the local broker(s), also when reused; a no-op for an external cluster. */
  stop(): Promise<void>;
}

/**
 * The entry point for "npm start", test global setup and the CLI: uses KAFKA_BOOTSTRAP_SERVERS when
 * set, otherwise starts the local broker (or cluster) with default ports and dirs, or reuses it if it
 * is already running.
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaHandle> {
  const env = options.env ?? process.env;
  const report = options.report ?? consoleReporter;
  const external = externalBootstrapServers(env);
  if (external) {
    report(`Using external Kafka at ${external.join(',')} (${BOOTSTRAP_ENV_VAR} is set); starting nothing`);
    const metadata = await waitForMetadata(external, EXTERNAL_CHECK_TIMEOUT_MS, {
      ...(options.externalSecurity === undefined ? {} : { security: options.externalSecurity }),
    });
    report(`External Kafka answers: cluster ${metadata.clusterId}, ${metadata.brokers.length} broker(s)`);
    return { bootstrapServers: external, source: 'external', stop: async () => {} };
  }
  const common = { detached: !options.foreground, echo: options.foreground, report, env };
  const instance = options.cluster ? await startCluster(common) : await startSingleBroker(common);
  const nodes = 'nodes' in instance ? instance.nodes : [instance.node];
  const exits = nodes.map((node) => node.exited?.then((how) => `Kafka node ${node.nodeId} exited (${how})`));
  return {
    bootstrapServers: instance.bootstrapServers,
    source: instance.alreadyRunning ? 'reused' : 'started',
    credentials: { dir: instance.security.credentialsDir, admin: instance.security.admin },
    exited: Promise.race(exits.filter((exit) => exit !== undefined)),
    stop: () => instance.stop(),
  };
}
