import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allTopics, CONSUMER_GROUPS, SERVICES } from '@shop/contracts';
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import { kafkaNamespace } from '@shop/platform';
import { aclKey, catalogAcls, planAcls } from '@shop/platform/provisioning';

const plain = kafkaNamespace('');
const ns = kafkaNamespace('t1');

function granted(principal: string, namespace = plain) {
  return catalogAcls(namespace).filter((binding) => binding.principal === `User:${principal}`);
}

test('a service may write exactly the topics it owns, read what its groups consume, and use only its own groups', () => {
  for (const service of SERVICES) {
    const acls = granted(service);
    const writes = acls
      .filter((a) => a.operation === 'WRITE')
      .map((a) => a.resourceName)
      .sort();
    assert.deepEqual(
      writes,
      allTopics()
        .filter((t) => t.owner === service)
        .map((t) => t.name)
        .sort(),
      service,
    );
    const reads = acls.filter((a) => a.resourceType === 'TOPIC' && a.operation === 'READ').map((a) => a.resourceName);
    assert.deepEqual(
      reads.sort(),
      allTopics()
        .filter((t) => t.consumers.some((c) => c.service === service))
        .map((t) => t.name)
        .sort(),
    );
    const groups = acls.filter((a) => a.resourceType === 'GROUP').map((a) => a.resourceName);
    assert.deepEqual(
      groups.sort(),
      CONSUMER_GROUPS.filter((g) => g.service === service)
        .map((g) => g.groupId)
        .sort(),
    );
    assert.ok(acls.every((a) => a.operation !== 'DESCRIBE' || a.resourceType !== 'GROUP'));
  }
});

test('the lag reader only describes groups and topics (plus reading for time lag); the replayer reads DLTs and writes retry tiers', () => {
  const lag = granted(TOOL_PRINCIPALS.lagReader);
  assert.ok(lag.every((a) => a.operation !== 'WRITE'));
  assert.ok(lag.filter((a) => a.resourceType === 'GROUP').every((a) => a.operation === 'DESCRIBE'));
  const replayer = granted(TOOL_PRINCIPALS.dltReplayer);
  const kindOf = new Map(allTopics().map((t) => [t.name, t.kind]));
  assert.ok(replayer.length > 0);
  for (const a of replayer) {
    assert.equal(a.resourceType, 'TOPIC');
    assert.equal(kindOf.get(a.resourceName), a.operation === 'READ' ? 'dead-letter' : 'retry', describe(a));
  }
  assert.deepEqual(granted(TOOL_PRINCIPALS.provisioner), [], 'the provisioner is a super user, granted nothing');
});

function describe(a: { operation: string; resourceName: string }) {
  return `${a.operation} ${a.resourceName}`;
}

test('in a namespace every binding names the namespaced resource, literally', () => {
  const names = catalogAcls(ns).map((a) => a.resourceName);
  assert.ok(names.every((name) => name.startsWith('t1.')));
  assert.equal(catalogAcls(ns).length, catalogAcls(plain).length);
});

test('the plan lists missing bindings, and as extra only managed principals in the namespace', () => {
  const desired = catalogAcls(ns);
  const [first, ...rest] = desired;
  const stray = {
    principal: 'User:order-service',
    resourceType: 'TOPIC' as const,
    resourceName: 't1.order-service.x',
    operation: 'READ' as const,
  };
  const foreign = {
    principal: 'User:someone-else',
    resourceType: 'TOPIC' as const,
    resourceName: 't1.order-service.x',
    operation: 'READ' as const,
  };
  const otherNamespace = { ...stray, resourceName: 't2.order-service.x' };
  const plan = planAcls(desired, [...rest, stray, foreign, otherNamespace], ns);
  assert.deepEqual(plan.missing.map(aclKey), [aclKey(first as (typeof desired)[number])]);
  assert.deepEqual(plan.extra.map(aclKey), [aclKey(stray)]);
});
