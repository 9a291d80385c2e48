import { instanceAdminCredentials } from './broker-security.ts';
import { type InstanceKind, instanceNodeDirs } from './instance-dirs.ts';
import { advertisedAddress } from './loopback.ts';
import { nodeLayout } from './node-layout.ts';
import { readRecordedNode } from './node-properties.ts';
import { readPidFile } from './pid-file.ts';
import { isKafkaProcess } from './process-control.ts';
import { DEFAULT_CLUSTER_DIR, DEFAULT_SINGLE_DIR } from './repo-paths.ts';
import { waitForMetadata } from './wait-for-metadata.ts';

/** Status is interactive: a running broker answers in milliseconds, so don't wait long for one that won't. */
const STATUS_METADATA_TIMEOUT_MS = 3_000;

export interface NodeStatus {
  dir: string;
  nodeId?: number;
  bootstrapServer?: string;
  pid?: number;
  running: boolean;
}

export interface InstanceStatus {
  kind: InstanceKind;
  nodes: NodeStatus[];
  /** Some node process of this instance is alive. */
  running: boolean;
  /** The running nodes answer Metadata. */
  answering: boolean;
  /** Broker ids the cluster lists as live, when answering. */
  brokerIds: number[];
  /** Why it is not answering, when it runs but does not answer. */
  problem?: string;
}

export async function kafkaStatus(kind: InstanceKind, dataDir?: string): Promise<InstanceStatus> {
  const nodes = instanceNodeDirs(kind, dataDir).map((dir): NodeStatus => {
    const layout = nodeLayout(dir);
    const recorded = readRecordedNode(layout.propertiesFile);
    const pid = readPidFile(layout.pidFile);
    const running = pid !== undefined && isKafkaProcess(pid, layout.propertiesFile);
    return {
      dir,
      nodeId: recorded?.nodeId,
      bootstrapServer: recorded ? advertisedAddress(recorded.clientPort) : undefined,
      pid: running ? pid : undefined,
      running,
    };
  });
  const bootstrap = nodes.flatMap((node) => (node.running && node.bootstrapServer ? [node.bootstrapServer] : []));
  const status: InstanceStatus = { kind, nodes, running: bootstrap.length > 0, answering: false, brokerIds: [] };
  if (!status.running) return status;
  try {
    const sasl = instanceAdminCredentials(
      kind === 'single' ? (dataDir ?? DEFAULT_SINGLE_DIR) : (dataDir ?? DEFAULT_CLUSTER_DIR),
    );
    const metadata = await waitForMetadata(bootstrap, STATUS_METADATA_TIMEOUT_MS, sasl ? { security: { sasl } } : {});
    status.answering = true;
    status.brokerIds = metadata.brokers.map((broker) => broker.nodeId);
  } catch (error) {
    status.problem = (error as Error).message;
  }
  return status;
}
