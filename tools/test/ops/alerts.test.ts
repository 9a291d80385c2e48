/**
 * The alert rules and the dashboard must stay valid and must only name metrics that something exports:
 * a renamed metric otherwise leaves an alert that can never fire. promtool comes from Debian's `prometheus`
 * package (installed by .ci/run); without it this test fails with the command that installs it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULES = join(ROOT, 'ops/prometheus/alerts.yml');
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

test('the alert rules should pass promtool check rules', () => {
  let output: string;
  try {
    output = execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ENOENT';
    assert.fail(
      missing
        ? 'promtool is not installed: apt-get install prometheus (Debian), as .ci/run does'
        : `promtool rejected ops/prometheus/alerts.yml:\n${(error as { stdout?: string }).stdout ?? error}`,
    );
  }
  assert.match(output, /SUCCESS: \d+ rules found/);
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
