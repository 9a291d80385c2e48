/**
 * The stack a chaos run breaks, all of it private to the run so that nothing anybody else uses is touched:
 * its own PostgreSQL server (initdb on a free port; the run restarts it), its own three-node KRaft cluster
 * (free ports, a data directory of the run: RF 3, min.insync.replicas 2, unclean leader election off), one
 * Kafka namespace, and N processes of each service sharing that service's database and consumer groups.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type KafkaSecurity, kafkaNamespace } from '@shop/platform';
import { provisionTopics } from '@shop/platform/provisioning';
import {
  CLUSTER_SIZE,
  findFreePortBlock,
  type KafkaCluster,
  type Reporter,
  startCluster,
} from '../../../infra/kafka/src/index.ts';
import { type PrivatePostgres, startPrivatePostgres } from '../bench/private-postgres.ts';
import { STACK_PROCESSES, type StackProcessLabel, stackDatabaseName } from '../load/stack-processes.ts';
import { ServiceInstance } from './service-instance.ts';

export const CHAOS_NAMESPACE = 'chaos';
/** Share of charges the simulated gateway declines: the release path is exercised under faults too. */
export const CHAOS_DECLINE_RATE = 0.05;
/** How soon a crashed instance is started again (as a supervisor with Restart=always would). */
export const SUPERVISOR_RESTART_DELAY_MS = 1_000;

export interface ChaosStackOptions {
  /** Run directory: PostgreSQL data, Kafka data and every instance's log. */
  dir: string;
  /** Processes per service. */
  instances: number;
  report: Reporter;
  /** Extra environment for every service process. */
  env?: NodeJS.ProcessEnv;
  logLevel?: string;
}

export interface ChaosStack {
  postgres: PrivatePostgres;
  cluster: KafkaCluster;
  bootstrapServers: string[];
  /** The provisioner's login on the private cluster (the checker and the fault injector use it). */
  security: KafkaSecurity;
  namespace: string;
  /** The HS256 secret every instance verifies tokens with (generated per run). */
  authSecret: string;
  databases: Record<StackProcessLabel, string>;
  instances: Record<StackProcessLabel, ServiceInstance[]>;
  /** Every instance, service by service. */
  all(): ServiceInstance[];
  /** Instances alive now. */
  live(label: StackProcessLabel): ServiceInstance[];
  /** Processes that exited without being told to (a crash the run did not cause). */
  unexpectedExits: string[];
  stop(): Promise<void>;
}

export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  const { dir, report } = options;
  await mkdir(join(dir, 'logs'), { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) await stop().catch(() => undefined);
  };
  try {
    report('starting a private PostgreSQL server');
    const postgres = await startPrivatePostgres({ dir: join(dir, 'postgres'), port: await findFreePortBlock(1) });
    stops.push(() => postgres.stop());

    report('starting a private three-node Kafka cluster');
    const kafkaBase = await findFreePortBlock(2 * CLUSTER_SIZE);
    const cluster = await startCluster({
      clientBasePort: kafkaBase,
      controllerBasePort: kafkaBase + CLUSTER_SIZE,
      dataDir: join(dir, 'kafka'),
      report,
    });
    // The brokers' data is of no use after the run (the logs of the instances are kept).
    stops.push(async () => {
      await cluster.stop();
      await rm(join(dir, 'kafka'), { recursive: true, force: true });
    });
    const { bootstrapServers } = cluster;
    const security: KafkaSecurity = { sasl: cluster.security.admin };

    const namespace = CHAOS_NAMESPACE;
    report(`applying the topic catalog under namespace ${namespace}`);
    await provisionTopics({
      connection: { bootstrapServers, clientId: 'chaos', security },
      namespace: kafkaNamespace(namespace),
      apply: true,
    });

    const authSecret = randomBytes(32).toString('hex');
    const portBase = await findFreePortBlock(STACK_PROCESSES.length * options.instances);
    const instances = {} as Record<StackProcessLabel, ServiceInstance[]>;
    const databases = {} as Record<StackProcessLabel, string>;
    const unexpectedExits: string[] = [];
    STACK_PROCESSES.forEach((service, serviceIndex) => {
      databases[service.label] = stackDatabaseName(namespace, service.database);
      instances[service.label] = Array.from({ length: options.instances }, (_, index) => {
        const instance = new ServiceInstance({
          label: service.label,
          index,
          entry: service.entry,
          port: portBase + serviceIndex * options.instances + index,
          logFile: join(dir, 'logs', `${service.label}-${index + 1}.log`),
          env: {
            ...options.env,
            DATABASE_URL: postgres.url,
            DATABASE_NAME: databases[service.label],
            KAFKA_BOOTSTRAP_SERVERS: bootstrapServers.join(','),
            // Each instance logs in as its service's principal, under the catalog's ACLs, as in production.
            KAFKA_CREDENTIALS_DIR: cluster.security.credentialsDir,
            KAFKA_NAMESPACE: namespace,
            LOG_LEVEL: options.logLevel ?? 'warn',
            SEED_DEMO_CATALOG: 'false',
            PAYMENT_DECLINE_RATE: String(CHAOS_DECLINE_RATE),
            AUTH_JWT_SECRET: authSecret,
            AUTH_JWT_SECRET_FILE: '',
            AUTH_JWKS_URL: '',
          },
        });
        // As a process supervisor would: a crashed instance is started again, and the crash is reported
        // (a run with one fails even when every invariant holds).
        instance.onUnexpectedExit = (exited, code, signal) => {
          unexpectedExits.push(`${exited.name} exited (code ${code}, signal ${signal})`);
          report(`UNEXPECTED: ${exited.name} exited (code ${code}, signal ${signal}); see ${exited.spec.logFile}`);
          if (stopping) return;
          setTimeout(() => {
            if (stopping || exited.alive) return;
            exited
              .start()
              .catch((error: unknown) => report(`${exited.name} did not restart: ${(error as Error).message}`));
          }, SUPERVISOR_RESTART_DELAY_MS);
        };
        return instance;
      });
    });
    const all = () => STACK_PROCESSES.flatMap((service) => instances[service.label]);
    stops.push(async () => {
      await Promise.all(all().map((instance) => instance.stop()));
    });
    // The first instance of each service creates and migrates its database; the others start once it did,
    // so that no two processes race to create one database.
    report(`starting ${options.instances} instance(s) of each service`);
    for (let index = 0; index < options.instances; index++) {
      await Promise.all(STACK_PROCESSES.map((service) => instances[service.label][index]?.start()));
    }
    return {
      postgres,
      cluster,
      bootstrapServers,
      security,
      namespace,
      authSecret,
      databases,
      instances,
      all,
      live: (label) => instances[label].filter((instance) => instance.alive),
      unexpectedExits,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
