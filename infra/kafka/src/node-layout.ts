import { join } from 'node:path';

/** Where one Kafka node keeps everything; one directory per node so nodes never share state. */
export interface NodeLayout {
  dir: string;
  propertiesFile: string;
  /** log.dirs: partition data and the KRaft metadata log. */
  dataDir: string;
  /** kafka.logs.dir: log4j2 output. */
  logsDir: string;
  serverLog: string;
  /** The JVM's stdout/stderr: warnings, plus anything printed before log4j2 starts (bad flags, crashes). */
  consoleLog: string;
  pidFile: string;
  /** Exists once storage is formatted. */
  metaProperties: string;
}

export function nodeLayout(dir: string): NodeLayout {
  const dataDir = join(dir, 'data');
  const logsDir = join(dir, 'logs');
  return {
    dir,
    propertiesFile: join(dir, 'server.properties'),
    dataDir,
    logsDir,
    serverLog: join(logsDir, 'server.log'),
    consoleLog: join(logsDir, 'console.log'),
    pidFile: join(dir, 'kafka.pid'),
    metaProperties: join(dataDir, 'meta.properties'),
  };
}
