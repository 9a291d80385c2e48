/**
 * The ACLs the catalog implies, and the difference to what a cluster has. Shared by `topics plan/apply`, the
 * test namespaces (createTestNamespace) and the refusal tests, so what is tested is what is provisioned.
 *
 * Every binding is LITERAL, on the exact (namespaced) topic or group name: a topic or group created later
 * under the same prefix is not granted by accident, and a test namespace's principals reach only that
 * namespace's resources. The price is one binding per resource and namespace instead of one per prefix, a few
 * dozen per namespace, which the brokers handle easily.
 */
import { SERVICES, type ServiceName } from '@shop/contracts';
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import { allTopics, CONSUMER_GROUPS, type TopicDefinition } from '@shop/contracts/topics';
import type { KafkaNamespace } from '../namespace.ts';

export type AclResource = 'TOPIC' | 'GROUP';
export type AclOp = 'READ' | 'WRITE' | 'DESCRIBE';

/** One ALLOW binding, from any host. */
export interface AclBinding {
  /** `User:<name>`. */
  readonly principal: string;
  readonly resourceType: AclResource;
  readonly resourceName: string;
  readonly operation: AclOp;
  /** Why the catalog implies it, for `topics plan`. */
  readonly reason: string;
}

export function principalOf(name: string): string {
  return `User:${name}`;
}

/** A stable identity of a binding (the reason aside), for comparing desired with live bindings. */
export function aclKey(binding: Pick<AclBinding, 'principal' | 'resourceType' | 'resourceName' | 'operation'>): string {
  return `${binding.principal}|${binding.resourceType}|${binding.resourceName}|${binding.operation}`;
}

export function describeAcl(binding: Pick<AclBinding, 'principal' | 'resourceType' | 'resourceName' | 'operation'>) {
  return `${binding.principal} ${binding.operation} ${binding.resourceType.toLowerCase()} ${binding.resourceName}`;
}

function readers(topic: TopicDefinition): ServiceName[] {
  return [...new Set(topic.consumers.map((reader) => reader.service))];
}

/**
 * The catalog's ACLs in `namespace`:
 * - a service WRITEs the topics it owns (its business topics and its consumers' retry and dead-letter topics),
 *   READs the topics its groups consume, and READs (joins, commits in) its own groups only;
 * - the lag reader DESCRIBEs every group and topic (committed and end offsets) and READs the consumed topics:
 *   its time lag is the timestamp of the first unconsumed record, which only a fetch returns;
 * - the DLT replayer READs dead-letter topics and WRITEs retry tiers, nothing else.
 * The provisioner is a super user (broker configuration), so it needs none.
 */
export function catalogAcls(namespace: KafkaNamespace): AclBinding[] {
  const bindings: AclBinding[] = [];
  const add = (principal: string, resourceType: AclResource, name: string, operation: AclOp, reason: string) =>
    bindings.push({ principal: principalOf(principal), resourceType, resourceName: name, operation, reason });
  for (const topic of allTopics()) {
    const name = namespace.topic(topic.name);
    add(topic.owner, 'TOPIC', name, 'WRITE', `${topic.owner} owns ${topic.name}`);
    for (const service of readers(topic)) add(service, 'TOPIC', name, 'READ', `a group of ${service} consumes it`);
    if (topic.consumers.length > 0) {
      add(TOOL_PRINCIPALS.lagReader, 'TOPIC', name, 'DESCRIBE', 'end offsets for lag');
      add(TOOL_PRINCIPALS.lagReader, 'TOPIC', name, 'READ', 'timestamp of the first unconsumed record');
    }
    if (topic.kind === 'dead-letter') add(TOOL_PRINCIPALS.dltReplayer, 'TOPIC', name, 'READ', 'lists dead letters');
    if (topic.kind === 'retry') add(TOOL_PRINCIPALS.dltReplayer, 'TOPIC', name, 'WRITE', 'replays into retry tiers');
  }
  for (const group of CONSUMER_GROUPS) {
    const name = namespace.group(group.groupId);
    add(group.service, 'GROUP', name, 'READ', `${group.service} runs this group`);
    add(TOOL_PRINCIPALS.lagReader, 'GROUP', name, 'DESCRIBE', 'committed offsets and state for lag');
  }
  return bindings;
}

/** The principals whose ACLs provisioning manages. */
export function managedPrincipals(): string[] {
  return [...SERVICES, TOOL_PRINCIPALS.lagReader, TOOL_PRINCIPALS.dltReplayer].map(principalOf);
}

/**
 * Whether a live binding is in the part of the cluster provisioning of `namespace` manages: a managed
 * principal's binding on a topic or group of the namespace (every catalog name starts with its owner's name).
 * Anything else (other principals, other namespaces, resources outside the catalog's naming) is never touched.
 */
export function inScope(binding: Pick<AclBinding, 'principal' | 'resourceName'>, namespace: KafkaNamespace): boolean {
  if (!managedPrincipals().includes(binding.principal)) return false;
  return SERVICES.some((service) => binding.resourceName.startsWith(namespace.topic(`${service}.`)));
}

export interface AclPlan {
  /** Bindings the catalog implies that the cluster lacks; `apply` creates them. */
  missing: AclBinding[];
  /** In-scope bindings the catalog does not imply; removed only by `apply --prune`. */
  extra: Omit<AclBinding, 'reason'>[];
}

export function planAcls(
  desired: readonly AclBinding[],
  live: readonly Omit<AclBinding, 'reason'>[],
  namespace: KafkaNamespace,
): AclPlan {
  const liveKeys = new Set(live.map(aclKey));
  const desiredKeys = new Set(desired.map(aclKey));
  return {
    missing: desired.filter((binding) => !liveKeys.has(aclKey(binding))),
    extra: live.filter((binding) => inScope(binding, namespace) && !desiredKeys.has(aclKey(binding))),
  };
}
