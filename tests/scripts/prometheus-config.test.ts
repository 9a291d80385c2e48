/**
 * The configuration `npm start -- --with-prometheus` and the live alerting test run Prometheus with must be
 * one that Prometheus accepts (promtool check config, which also loads the rule files it names), with one
 * job per target.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALERT_RULES_FILE, prometheusConfig } from '../../scripts/prometheus.ts';

const TARGETS = [
  { job: 'order', url: 'http://127.0.0.1:8081' },
  { job: 'lag-monitor', url: 'http://127.0.0.1:9308' },
];

test('prometheusConfig should write a configuration promtool accepts, loading the alert rules', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'prometheus.yml');
  await writeFile(file, prometheusConfig({ targets: TARGETS, scrapeIntervalMs: 1_000, evaluationIntervalMs: 1_500 }));
  let output: string;
  try {
    output = execFileSync('promtool', ['check', 'config', file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const failure = error as { code?: string; stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') assert.fail('promtool is not installed: apt-get install -y prometheus');
    assert.fail(`promtool check config failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
  assert.match(output, /SUCCESS/);
  assert.ok(output.includes(ALERT_RULES_FILE), `the alert rules are loaded:\n${output}`);
});

test('prometheusConfig should give each target its own job, scraping /metrics under its URL', () => {
  const text = prometheusConfig({ targets: [{ job: 'order', url: 'http://127.0.0.1:8081' }] });
  assert.match(text, /job_name: "order"\n\s+scheme: "http"\n\s+metrics_path: "\/metrics"\n/);
  assert.match(text, /targets: \["127\.0\.0\.1:8081"\]/);
  assert.match(text, /scrape_interval: 5s\n\s+evaluation_interval: 5s/);
  assert.throws(() => prometheusConfig({ targets: [...TARGETS, TARGETS[0] as (typeof TARGETS)[number]] }), /two/);
  assert.throws(() => prometheusConfig({ targets: TARGETS, scrapeIntervalMs: 0 }), /positive integer/);
});
