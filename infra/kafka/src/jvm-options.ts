import { BROKER_LOG4J2_CONFIG, TOOLS_LOG4J2_CONFIG } from './repo-paths.ts';

/** -Xms/-Xmx for one broker JVM, and its JIT. */
export interface HeapSettings {
  initial: string;
  max: string;
  /**
   * The client compiler only (-XX:TieredStopAtLevel=1): far less compiling, slower code at its peak. For
   * brokers that share 2 cores with two more brokers and are killed and started again by the faults they
   * are there for (see CLUSTER_NODE_HEAP).
   */
  c1Only?: boolean;
}

/**
 * The dev box has 2 cores and 24 GiB shared with PostgreSQL and 4-5 Node services. A dev broker's
 * working set is well under 1 GiB (Kafka keeps data in the OS page cache, not the heap), and a heap
 * that starts small lets the JVM stay at a few hundred MB until load needs more.
 */
export const SINGLE_BROKER_HEAP: HeapSettings = { initial: '256m', max: '1g' };

/**
 * Three of these run side by side, so each gets half the single broker's ceiling. Measured in a chaos run
 * (three nodes, two instances of each service, 100 orders/s on 2 cores): two minutes after the start, C2
 * had taken 18 s of each broker's 40 s of CPU, the three brokers took 1.6 of the 2 cores while orders
 * settled at about 10/s, and every broker a fault restarts compiles again.
 */
export const CLUSTER_NODE_HEAP: HeapSettings = { initial: '256m', max: '512m', c1Only: true };

/** Short-lived CLI tools; the same cap Kafka's kafka-run-class.sh uses for them. */
const TOOL_MAX_HEAP = '256m';

/**
 * G1 with the pause target Kafka's own start scripts use; ExplicitGCInvokesConcurrent stops
 * System.gc() from direct-buffer cleanup turning into a full stop-the-world collection.
 */
export function brokerJvmOptions(heap: HeapSettings, logsDir: string): string[] {
  return [
    `-Xms${heap.initial}`,
    `-Xmx${heap.max}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    ...(heap.c1Only ? ['-XX:TieredStopAtLevel=1'] : []),
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${logsDir}`,
    `-Dlog4j2.configurationFile=${BROKER_LOG4J2_CONFIG}`,
  ];
}

/**
 * Tools run for a second or two, so startup time matters more than peak speed: the C1-only JIT and
 * the serial collector start fastest.
 */
export function toolJvmOptions(): string[] {
  return [
    `-Xmx${TOOL_MAX_HEAP}`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${TOOLS_LOG4J2_CONFIG}`,
  ];
}
