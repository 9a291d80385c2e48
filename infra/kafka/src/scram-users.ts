import { type BrokerSecurity, missingScramUsers, recordScramUsers, SCRAM_MECHANISM } from './broker-security.ts';
import type { Reporter } from './reporter.ts';
import { runJavaMain } from './run-java-main.ts';
import { withCommandConfig } from './tool-login.ts';

/** What kafka-configs.sh runs in Kafka 4.2 (core jar). */
const CONFIG_COMMAND_CLASS = 'kafka.admin.ConfigCommand';

/**
 * Creates the SCRAM credentials of principals the running instance does not know yet (the catalog gained a
 * service or tool after its storage was formatted), through AlterUserScramCredentials as the provisioner.
 */
export async function ensureScramUsers(
  security: BrokerSecurity,
  bootstrapServer: string,
  classpath: string,
  report: Reporter,
): Promise<void> {
  const missing = missingScramUsers(security);
  if (missing.length === 0) return;
  report(`Creating SCRAM credentials for ${missing.join(', ')} (new since the storage was formatted)`);
  for (const user of missing) {
    const password = security.scramUsers.get(user) as string;
    const args = [
      '--bootstrap-server',
      bootstrapServer,
      '--alter',
      '--add-config',
      `${SCRAM_MECHANISM}=[password=${password}]`,
      '--entity-type',
      'users',
      '--entity-name',
      user,
    ];
    const result = await withCommandConfig(args, security.admin, (withLogin) =>
      runJavaMain(CONFIG_COMMAND_CLASS, withLogin, { classpath }),
    );
    if (result.exitCode !== 0) {
      throw new Error(
        `Creating the SCRAM credential of ${user} failed (exit code ${result.exitCode}):\n` +
          `${(result.stdout + result.stderr).replaceAll(password, '***')}`.trimEnd(),
      );
    }
    recordScramUsers(security, [user]);
  }
}
