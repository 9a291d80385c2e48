import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SaslCredentials } from './broker-security.ts';

/**
 * The Java tools take a login only from a properties file (--command-config); it is written to a private
 * temporary directory for the one run and removed afterwards.
 */
export async function withCommandConfig<T>(
  args: readonly string[],
  sasl: SaslCredentials | undefined,
  run: (args: string[]) => Promise<T>,
): Promise<T> {
  if (sasl === undefined || args.includes('--command-config')) return run([...args]);
  const dir = mkdtempSync(join(tmpdir(), 'kafka-tool-'));
  const file = join(dir, 'client.properties');
  writeFileSync(
    file,
    [
      'security.protocol=SASL_PLAINTEXT',
      `sasl.mechanism=${sasl.mechanism}`,
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${sasl.username}" password="${sasl.password}";`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  try {
    return await run([...args, '--command-config', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
