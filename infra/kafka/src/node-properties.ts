import { readFileSync } from 'node:fs';

/** What status and stop need to know about a node that some earlier process started. */
export interface RecordedNode {
  nodeId: number;
  clientPort: number;
}

/** Reads back a generated server.properties, so status reports the ports actually used. */
export function readRecordedNode(propertiesFile: string): RecordedNode | undefined {
  let text: string;
  try {
    text = readFileSync(propertiesFile, 'utf8');
  } catch {
    return undefined;
  }
  const value = (key: string): string | undefined =>
    new RegExp(`^${key.replaceAll('.', '\\.')}=(.*)$`, 'm').exec(text)?.[1]?.trim();
  const nodeId = Number(value('node.id'));
  const clientPort = Number(
    /(?:^|,)(?!CONTROLLER:)[A-Z_]+:\/\/[^:,]+:(\d+)/.exec(value('advertised.listeners') ?? '')?.[1],
  );
  if (!Number.isInteger(nodeId) || !Number.isInteger(clientPort)) return undefined;
  return { nodeId, clientPort };
}
