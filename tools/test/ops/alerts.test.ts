/**
 * The alert rules and the dashboard must stay valid and must only name metrics that something exports:
 * a renamed metric otherwise leaves an alert that can never fire. Every alert has `promtool test rules`
 * cases (ops/prometheus/tests): series that make it fire, with the labels and annotations an operator
 * receives, and series that must not. promtool comes from Debian's `prometheus` package (`npm test` checks
 * for it first); without it these tests fail with the command that installs it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULES = join(ROOT, 'ops/prometheus/alerts.yml');
const RULE_TESTS_DIR = join(ROOT, 'ops/prometheus/tests');
const DASHBOARD = join(ROOT, 'ops/grafana/dashboard.json');
const SOURCE_DIRS = ['packages', 'services', 'tools/src'];
/** Histogram and summary series carry these suffixes on top of the registered name. */
const SERIES_SUFFIXES = ['_bucket', '_sum', '_count'];
/** PromQL words that look like metric names but are functions, keywords or label values. */
const PROMQL_WORDS = new Set([
  'max',
  'sum',
  'by',
  'rate',
  'histogram_quantile',
  'le',
  'humanizeDuration',
  'without',
  'on',
]);

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name === 'test') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** Names of every prom-client metric the code registers (`name: '...'` in files that use prom-client). */
async function exportedMetrics(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const dir of SOURCE_DIRS) {
    for (const file of await sourceFiles(join(ROOT, dir))) {
      const text = await readFile(file, 'utf8');
      if (!text.includes('prom-client')) continue;
      for (const match of text.matchAll(/name:\s*'([a-z_:][a-z0-9_:]*)'/g)) names.add(match[1] as string);
    }
  }
  return names;
}

function metricsIn(expression: string): string[] {
  const withoutLabels = expression.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '');
  return [...withoutLabels.matchAll(/[a-z_:][a-z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((word) => word.includes('_') && !PROMQL_WORDS.has(word));
}

function baseName(series: string): string {
  const suffix = SERIES_SUFFIXES.find((s) => series.endsWith(s));
  return suffix === undefined ? series : series.slice(0, -suffix.length);
}

/** Runs promtool; a missing promtool or a rejection fails the test with what to do. */
function promtool(args: string[], cwd = ROOT): string {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as { code?: string; stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') assert.fail('promtool is not installed: apt-get install -y prometheus');
    return assert.fail(`promtool ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

async function ruleTestFiles(): Promise<string[]> {
  return (await readdir(RULE_TESTS_DIR)).filter((name) => name.endsWith('.test.yml')).sort();
}

test('the alert rules should pass promtool check rules', () => {
  assert.match(promtool(['check', 'rules', RULES]), /SUCCESS: \d+ rules found/);
});

test('every alert should fire on its test series, with its labels and annotations, and stay silent on the others', async () => {
  const files = await ruleTestFiles();
  assert.ok(files.length > 0, `no *.test.yml in ${RULE_TESTS_DIR}`);
  // Run from the tests' folder: their rule_files are relative to it.
  const output = promtool(['test', 'rules', ...files], RULE_TESTS_DIR);
  assert.doesNotMatch(output, /FAILED/);
  assert.match(output, /SUCCESS/);
});

/** Per alert name: whether some test case expects it to fire, and whether some case expects silence. */
function alertCases(testYaml: string): Map<string, { fires: boolean; silent: boolean }> {
  const cases = new Map<string, { fires: boolean; silent: boolean }>();
  for (const match of testYaml.matchAll(/^\s*alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*(\[\])?/gm)) {
    const name = match[1] as string;
    const seen = cases.get(name) ?? { fires: false, silent: false };
    if (match[2] === undefined) seen.fires = true;
    else seen.silent = true;
    cases.set(name, seen);
  }
  return cases;
}

test('every alert rule should have a test case where it fires and one where it must not', async () => {
  const alerts = [...(await readFile(RULES, 'utf8')).matchAll(/^\s*-\s*alert:\s*(\S+)/gm)].map((m) => m[1] as string);
  assert.ok(alerts.length >= 10);
  const texts = await Promise.all((await ruleTestFiles()).map((file) => readFile(join(RULE_TESTS_DIR, file), 'utf8')));
  const cases = alertCases(texts.join('\n'));
  const untested = alerts.filter((alert) => !cases.get(alert)?.fires || !cases.get(alert)?.silent);
  assert.deepEqual(untested, [], `alerts without a firing and a silent case in ops/prometheus/tests: ${untested}`);
});

test('the coverage check should tell a firing case from a silent one', () => {
  const yaml = [
    '      - eval_time: 1m',
    '        alertname: A',
    '        exp_alerts: []',
    '      - eval_time: 3m',
    '        alertname: A',
    '        exp_alerts:',
    '          - exp_labels: { severity: warning }',
    '      - eval_time: 3m',
    '        alertname: B',
    '        exp_alerts:',
  ].join('\n');
  assert.deepEqual(
    [...alertCases(yaml)],
    [
      ['A', { fires: true, silent: true }],
      ['B', { fires: true, silent: false }],
    ],
  );
});

test('every metric named by an alert rule or a dashboard panel should be exported by the code', async () => {
  const exported = await exportedMetrics();
  const rules = await readFile(RULES, 'utf8');
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
    panels: Array<{ targets: Array<{ expr: string }> }>;
  };
  const expressions = [
    ...[...rules.matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1] as string),
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
  ];
  assert.ok(expressions.length >= 10);
  const unknown = [...new Set(expressions.flatMap(metricsIn).map(baseName))].filter((name) => !exported.has(name));
  assert.deepEqual(unknown, [], `metrics named in ops/ but exported by no code: ${unknown.join(', ')}`);
});

test('the metric check should catch a metric that nothing exports', () => {
  assert.deepEqual(metricsIn('max by (group) (kafka_consumergroup_lag_secs) > 300'), ['kafka_consumergroup_lag_secs']);
  assert.equal(baseName('order_settlement_seconds_bucket'), 'order_settlement_seconds');
});
