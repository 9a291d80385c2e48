import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPLICATION_PRINCIPALS, TOOL_PRINCIPALS } from '@shop/contracts/principals';
import type { NodeLayout } from './node-layout.ts';

/**
 * How the local brokers are secured (always: `npm start`, the tests, the benchmark and the chaos run use the
 * same setup as production, not a plaintext shortcut):
 * - the client and inter-broker listener speaks SASL/SCRAM-SHA-512; the brokers' credentials and every
 *   application principal's are written into the metadata log when storage is formatted (`--add-scram`);
 * - the controller listener speaks SASL/PLAIN with a static JAAS user: SCRAM credentials live in the metadata
 *   log the controllers themselves serve, so a controller could not check them before it has read that log
 *   (Kafka refuses SCRAM as `sasl.mechanism.controller.protocol`);
 * - the standard KRaft authorizer with `allow.everyone.if.no.acl.found=false`: a principal may do only what
 *   an ACL allows (`topics apply` grants them from the catalog); the brokers, the controllers and the
 *   provisioner are the only super users.
 * Everything listens on loopback only, so no TLS locally; a user's own cluster brings its own TLS settings
 * (KAFKA_TLS_* on the clients).
 */
export const SCRAM_MECHANISM = 'SCRAM-SHA-512';
/** The principal the brokers log in as to each other (inter-broker listener). */
export const BROKER_PRINCIPAL = 'kafka-broker';
/** The principal brokers and controllers log in as on the controller listener (SASL/PLAIN). */
export const CONTROLLER_PRINCIPAL = 'kafka-controller';
/** Provisioning's principal: creates topics and ACLs, so it is a super user; no service runs as it. */
export const PROVISIONER_PRINCIPAL: string = TOOL_PRINCIPALS.provisioner;

/** What a client needs to log in; the shape @platformatic/kafka's `sasl` option takes. */
export interface SaslCredentials {
  mechanism: 'SCRAM-SHA-512';
  username: string;
  password: string;
}

/** Passwords of one local instance, one file per principal in its credentials directory. */
export interface BrokerSecurity {
  credentialsDir: string;
  brokerPassword: string;
  controllerPassword: string;
  /** SCRAM users created at format time, with their passwords (the broker's own included). */
  scramUsers: ReadonlyMap<string, string>;
  superUsers: readonly string[];
  /** The provisioner's login: readiness checks and set-up use it. */
  admin: SaslCredentials;
}

/** Where an instance keeps its generated passwords: `<instance dir>/credentials/<principal>`. */
export function credentialsDirOf(instanceDir: string): string {
  return join(instanceDir, 'credentials');
}

export function passwordFile(credentialsDir: string, principal: string): string {
  return join(credentialsDir, principal);
}

/** A principal's password from a credentials directory, or undefined when there is none. */
export function readPassword(credentialsDir: string, principal: string): string | undefined {
  const file = passwordFile(credentialsDir, principal);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** 24 random bytes, base64url: no character the JAAS or `--add-scram` syntax would need quoted. */
function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Reads the instance's passwords, generating the missing ones (files readable by their owner only). A
 * password is generated once, before the storage is formatted, and never changes afterwards: the metadata log
 * holds its SCRAM hash from then on.
 */
export function ensureBrokerSecurity(instanceDir: string): BrokerSecurity {
  const credentialsDir = credentialsDirOf(instanceDir);
  // The parents first, with the default mode: a recursive mkdir with mode 0o700 gave every directory it
  // created that mode, .run/ included, and the private PostgreSQL servers of the bench and the chaos suite
  // (run as the postgres account) could no longer reach their data directories under .run/.
  mkdirSync(instanceDir, { recursive: true });
  mkdirSync(credentialsDir, { recursive: true, mode: 0o700 });
  chmodSync(credentialsDir, 0o700);
  const passwordOf = (principal: string): string => {
    const existing = readPassword(credentialsDir, principal);
    if (existing !== undefined) return existing;
    const password = generatePassword();
    writeFileSync(passwordFile(credentialsDir, principal), `${password}\n`, { mode: 0o600 });
    chmodSync(passwordFile(credentialsDir, principal), 0o600);
    return password;
  };
  const scramUsers = new Map<string, string>();
  for (const principal of [BROKER_PRINCIPAL, ...APPLICATION_PRINCIPALS])
    scramUsers.set(principal, passwordOf(principal));
  const brokerPassword = scramUsers.get(BROKER_PRINCIPAL) as string;
  const adminPassword = scramUsers.get(PROVISIONER_PRINCIPAL) as string;
  return {
    credentialsDir,
    brokerPassword,
    controllerPassword: passwordOf(CONTROLLER_PRINCIPAL),
    scramUsers,
    superUsers: [BROKER_PRINCIPAL, CONTROLLER_PRINCIPAL, PROVISIONER_PRINCIPAL],
    admin: { mechanism: SCRAM_MECHANISM, username: PROVISIONER_PRINCIPAL, password: adminPassword },
  };
}

/** The provisioner's login of an instance that was started before, or undefined when it has none. */
export function instanceAdminCredentials(instanceDir: string): SaslCredentials | undefined {
  const password = readPassword(credentialsDirOf(instanceDir), PROVISIONER_PRINCIPAL);
  return password === undefined ? undefined : { mechanism: SCRAM_MECHANISM, username: PROVISIONER_PRINCIPAL, password };
}

/** `kafka-storage format` arguments that create every SCRAM user in the bootstrap metadata. */
export function addScramArgs(security: BrokerSecurity): string[] {
  return [...security.scramUsers].flatMap(([name, password]) => [
    '--add-scram',
    `${SCRAM_MECHANISM}=[name=${name},password=${password}]`,
  ]);
}

/** The server.properties entries of a secured node (listener names as in server-properties.ts). */
export function securityProperties(
  security: BrokerSecurity,
  listeners: { broker: string; controller: string },
): Record<string, string> {
  const broker = listeners.broker.toLowerCase();
  const controller = listeners.controller.toLowerCase();
  return {
    [`listener.name.${broker}.sasl.enabled.mechanisms`]: SCRAM_MECHANISM,
    [`listener.name.${broker}.scram-sha-512.sasl.jaas.config`]: `org.apache.kafka.common.security.scram.ScramLoginModule required username="${BROKER_PRINCIPAL}" password="${security.brokerPassword}";`,
    'sasl.mechanism.inter.broker.protocol': SCRAM_MECHANISM,
    [`listener.name.${controller}.sasl.enabled.mechanisms`]: 'PLAIN',
    // username/password: how this node logs in to the controllers; user_<name>: whom a controller accepts.
    [`listener.name.${controller}.plain.sasl.jaas.config`]:
      `org.apache.kafka.common.security.plain.PlainLoginModule required username="${CONTROLLER_PRINCIPAL}" ` +
      `password="${security.controllerPassword}" user_${CONTROLLER_PRINCIPAL}="${security.controllerPassword}";`,
    'sasl.mechanism.controller.protocol': 'PLAIN',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found': 'false',
    'super.users': security.superUsers.map((user) => `User:${user}`).join(';'),
  };
}

/**
 * Storage formatted before the brokers were secured has no SCRAM users, and a password generated now would
 * match nothing in its metadata log: refuse with the fix instead of starting a broker nobody can log in to.
 */
export function assertSecuredStorage(layouts: readonly NodeLayout[], instanceDir: string): void {
  const formatted = layouts.some((layout) => existsSync(layout.metaProperties));
  const hasCredentials = readPassword(credentialsDirOf(instanceDir), BROKER_PRINCIPAL) !== undefined;
  if (formatted && !hasCredentials) {
    throw new Error(
      `${instanceDir} was formatted without SASL credentials (before the local Kafka was secured). ` +
        `Stop it ("npm run kafka:stop", add --cluster for the cluster) and delete ${instanceDir} to start afresh.`,
    );
  }
}

/** The users whose SCRAM credentials the instance's metadata log holds, one per line. */
function scramUsersFile(security: BrokerSecurity): string {
  return join(security.credentialsDir, '.scram-users');
}

/** Records that every current user was created with the storage (`--add-scram`). */
export function recordScramUsers(security: BrokerSecurity, users: Iterable<string> = security.scramUsers.keys()) {
  const known = new Set([...knownScramUsers(security), ...users]);
  writeFileSync(scramUsersFile(security), `${[...known].sort().join('\n')}\n`, { mode: 0o600 });
}

function knownScramUsers(security: BrokerSecurity): Set<string> {
  const file = scramUsersFile(security);
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
  );
}

/**
 * Principals added to the catalog after the storage was formatted have a password file but no credential in
 * the metadata log yet: they are created through the admin API (kafka-configs, as the provisioner).
 */
export function missingScramUsers(security: BrokerSecurity): string[] {
  const known = knownScramUsers(security);
  return [...security.scramUsers.keys()].filter((user) => !known.has(user));
}
