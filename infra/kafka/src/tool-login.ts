import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRAM_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
const PLAIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';

/**
 * The Java tools take a login only from a properties file (--command-config); it is written to a private
 * temporary directory for the one run and removed afterwards.
 */
export async function withCommandConfig<T>(
  args: readonly string[],
  sasl: { mechanism: string; username: string; password: string } | undefined,
  run: (args: string[]) => Promise<T>,
  /** The tool's option for a client properties file (ProducerPerformance calls it --producer.config). */
  flag = '--command-config',
): Promise<T> {
  if (sasl === undefined || args.includes(flag)) return run([...args]);
  const dir = mkdtempSync(join(tmpdir(), 'kafka-tool-'));
  const file = join(dir, 'client.properties');
  writeFileSync(
    file,
    [
      'security.protocol=SASL_PLAINTEXT',
      `sasl.mechanism=${sasl.mechanism}`,
      `sasl.jaas.config=${sasl.mechanism === 'PLAIN' ? PLAIN_MODULE : SCRAM_MODULE} required username="${sasl.username}" password="${sasl.password}";`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  try {
    return await run([...args, flag, file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
