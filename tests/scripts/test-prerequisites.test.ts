import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  checkPrerequisites,
  formatMissing,
  javaMajor,
  MIN_POSTGRES_CONNECTIONS,
  type Probe,
  systemProbe,
} from '../../scripts/test-prerequisites.ts';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432';
const JAVA_17 = 'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment';

/** A machine with every prerequisite, changed by `overrides`; commands live in /fake/bin. */
function fakeProbe(
  commands: Record<string, string>,
  overrides: Partial<Probe> = {},
): Probe & { ran: Array<[string, readonly string[]]> } {
  const ran: Array<[string, readonly string[]]> = [];
  return {
    env: {},
    which: (command) => (command in commands ? `/fake/bin/${command}` : undefined),
    isExecutable: () => true,
    run(path, args) {
      ran.push([path, args]);
      const name = path.split('/').at(-1) ?? '';
      return { status: 0, output: commands[name] ?? '' };
    },
    postgres: async () => ({ maxConnections: 300 }),
    kafka: async () => undefined,
    kafkaJarsCached: () => false,
    ...overrides,
    ran,
  };
}

const EVERYTHING = { java: JAVA_17, mvn: '', promtool: '', prometheus: '' };

test('the preflight should find nothing missing on a machine with every prerequisite', async () => {
  assert.deepEqual(await checkPrerequisites(fakeProbe(EVERYTHING), { databaseUrl: DATABASE_URL }), []);
});

test('the preflight should name every missing prerequisite at once, each with the command that installs it', async () => {
  const probe = fakeProbe(
    {},
    { postgres: async () => ({ error: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432' }) },
  );
  const missing = await checkPrerequisites(probe, { databaseUrl: DATABASE_URL });
  assert.deepEqual(
    missing.map((item) => item.fix.split(' ').slice(0, 4).join(' ')),
    [
      'apt-get install -y openjdk-17-jre-headless',
      'apt-get install -y maven',
      'apt-get install -y prometheus',
      'apt-get install -y postgresql',
    ],
  );
  const message = formatMissing(missing);
  assert.match(message, /^npm test cannot run: 4 prerequisite\(s\) missing\. Nothing was tested\./);
  assert.match(
    message,
    /promtool and prometheus .*\n\s+found: no "promtool" and no "prometheus" on PATH\n\s+fix: {3}apt-get install -y prometheus\n/,
  );
  assert.match(message, /PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:5432.*\n\s+found: ECONNREFUSED/);
});

test('the preflight should report promtool alone when only promtool is missing', async () => {
  const missing = await checkPrerequisites(fakeProbe({ java: JAVA_17, mvn: '', prometheus: '' }), {
    databaseUrl: DATABASE_URL,
  });
  assert.deepEqual(
    missing.map((item) => [item.found, item.fix]),
    [['no "promtool" on PATH', 'apt-get install -y prometheus']],
  );
});

test('the preflight should report the prometheus server when only it is missing (the live alerting test runs it)', async () => {
  const missing = await checkPrerequisites(fakeProbe({ java: JAVA_17, mvn: '', promtool: '' }), {
    databaseUrl: DATABASE_URL,
  });
  assert.deepEqual(
    missing.map((item) => [item.found, item.fix]),
    [['no "prometheus" on PATH', 'apt-get install -y prometheus']],
  );
});

test('the preflight should refuse a Java older than 17 and say which one it found', async () => {
  const probe = fakeProbe({ ...EVERYTHING, java: 'java version "1.8.0_392"\nJava(TM) SE Runtime Environment' });
  const [missing, ...rest] = await checkPrerequisites(probe, { databaseUrl: DATABASE_URL });
  assert.deepEqual(rest, []);
  assert.match(missing?.what ?? '', /^Java 17\+/);
  assert.equal(missing?.found, '/fake/bin/java is Java 8');
});

test('the preflight should ask the Java of JAVA_HOME before the one on PATH', async () => {
  const probe = fakeProbe(EVERYTHING, { env: { JAVA_HOME: '/opt/jdk-21' } });
  assert.deepEqual(await checkPrerequisites(probe, { databaseUrl: DATABASE_URL }), []);
  assert.deepEqual(probe.ran, [['/opt/jdk-21/bin/java', ['-version']]]);

  const broken = fakeProbe(EVERYTHING, { env: { JAVA_HOME: '/opt/none' }, isExecutable: () => false });
  const [missing] = await checkPrerequisites(broken, { databaseUrl: DATABASE_URL });
  assert.equal(missing?.found, 'JAVA_HOME=/opt/none has no bin/java');
});

test('the preflight should not need Maven once the Kafka jars are in the cache', async () => {
  const probe = fakeProbe({ java: JAVA_17, promtool: '', prometheus: '' }, { kafkaJarsCached: () => true });
  assert.deepEqual(await checkPrerequisites(probe, { databaseUrl: DATABASE_URL }), []);
});

test('the preflight should refuse a PostgreSQL that allows too few connections for four test files at once', async () => {
  const probe = fakeProbe(EVERYTHING, { postgres: async () => ({ maxConnections: 20 }) });
  const [missing] = await checkPrerequisites(probe, { databaseUrl: DATABASE_URL });
  assert.equal(
    missing?.what,
    `PostgreSQL max_connections >= ${MIN_POSTGRES_CONNECTIONS} (four test files run at once)`,
  );
  assert.match(missing?.fix ?? '', /ALTER SYSTEM SET max_connections/);
});

test('the preflight should check an external Kafka only when KAFKA_BOOTSTRAP_SERVERS names one', async () => {
  const asked: Array<readonly string[]> = [];
  const probe = fakeProbe(EVERYTHING, {
    kafka: async (servers) => {
      asked.push(servers);
      return 'Kafka is not reachable at kafka.example:9092 (PLT_KFK_NETWORK: ECONNREFUSED)';
    },
  });
  assert.deepEqual(await checkPrerequisites(probe, { databaseUrl: DATABASE_URL }), []);
  assert.deepEqual(asked, [], 'a local broker is started by the run itself');
  const [missing] = await checkPrerequisites(probe, {
    databaseUrl: DATABASE_URL,
    externalKafka: ['kafka.example:9092'],
  });
  assert.equal(missing?.what, 'Kafka at kafka.example:9092 (KAFKA_BOOTSTRAP_SERVERS)');
  assert.match(missing?.fix ?? '', /npm run kafka:start/);
});

test('javaMajor should read old and new version strings', () => {
  assert.equal(javaMajor(JAVA_17), 17);
  assert.equal(javaMajor('openjdk version "21" 2023-09-19'), 21);
  assert.equal(javaMajor('java version "1.8.0_392"'), 8);
  assert.equal(javaMajor('command not found'), undefined);
});

test('the system probe should look commands up on the PATH it is given, and run them', async (t) => {
  const bin = await mkdtemp(join(tmpdir(), 'preflight-bin-'));
  t.after(() => rm(bin, { recursive: true, force: true }));
  const java = join(bin, 'java');
  await writeFile(java, `#!/bin/sh\necho '${JAVA_17.split('\n')[0]}' >&2\n`);
  await chmod(java, 0o755);
  await writeFile(join(bin, 'promtool'), '#!/bin/sh\n'); // not executable: not a command
  const probe = systemProbe({ PATH: bin });
  assert.equal(probe.which('java'), java);
  assert.equal(probe.which('promtool'), undefined);
  assert.equal(probe.which('mvn'), undefined);
  assert.equal(javaMajor(probe.run(java, ['-version'])?.output ?? ''), 17);
  assert.equal(probe.run(join(bin, 'missing'), []), undefined);
});

test('the preflight should report PostgreSQL server binaries missing from PG_BIN_DIR (the private servers of chaos and bench)', async () => {
  const present = new Set(['/opt/pg/bin/initdb', '/usr/bin/chromium']);
  const probe = fakeProbe(EVERYTHING, {
    env: { PG_BIN_DIR: '/opt/pg/bin' },
    isExecutable: (path) => present.has(path),
  });
  const missing = await checkPrerequisites(probe, { databaseUrl: DATABASE_URL });
  assert.deepEqual(
    missing.map((item) => [item.found, item.fix.split(' ').slice(0, 4).join(' ')]),
    [['no pg_ctl in /opt/pg/bin', 'apt-get install -y postgresql-15']],
  );
  present.add('/opt/pg/bin/pg_ctl');
  assert.deepEqual(await checkPrerequisites(probe, { databaseUrl: DATABASE_URL }), []);
});

test("the preflight should report Chromium missing (the console's browser tests), at CHROMIUM_PATH when set", async () => {
  const present = new Set(['/usr/lib/postgresql/15/bin/initdb', '/usr/lib/postgresql/15/bin/pg_ctl']);
  const probe = fakeProbe(EVERYTHING, { isExecutable: (path) => present.has(path) });
  const missing = await checkPrerequisites(probe, { databaseUrl: DATABASE_URL });
  assert.deepEqual(
    missing.map((item) => [item.found, item.fix.split(' ').slice(0, 4).join(' ')]),
    [['no executable /usr/bin/chromium', 'apt-get install -y chromium']],
  );
  present.add('/usr/bin/chromium');
  assert.deepEqual(await checkPrerequisites(probe, { databaseUrl: DATABASE_URL }), []);

  const elsewhere = fakeProbe(EVERYTHING, {
    env: { CHROMIUM_PATH: '/opt/chrome/chrome' },
    isExecutable: (path) => present.has(path),
  });
  const [other] = await checkPrerequisites(elsewhere, { databaseUrl: DATABASE_URL });
  assert.equal(other?.found, 'no executable /opt/chrome/chrome');
});
