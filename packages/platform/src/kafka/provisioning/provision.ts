import { allTopics, kafkaTopicConfig } from '@shop/contracts/topics';
import { createAdmin, type KafkaAdmin, type KafkaConnection } from '../clients.ts';
import { type KafkaNamespace, kafkaNamespace } from '../namespace.ts';
import { createAcls, deleteAcls, type LiveAcl, readAcls } from './acl-admin.ts';
import { type AclBinding, aclKey, catalogAcls, planAcls } from './acl-plan.ts';
import { applyActions, readCluster } from './topic-admin.ts';
import { type CatalogTopic, desiredTopics, isApplicable, planTopics, type TopicPlan } from './topic-plan.ts';

/** The topic catalog of `@shop/contracts` in the shape the planner reads. */
export function catalogTopics(): CatalogTopic[] {
  return allTopics().map((topic) => ({
    name: topic.name,
    partitions: topic.partitions,
    replicationFactor: topic.replicationFactor,
    minInsyncReplicas: topic.minInsyncReplicas,
    configs: kafkaTopicConfig(topic),
  }));
}

export interface ProvisionOptions {
  connection: KafkaConnection;
  /** Default: the whole catalog. Tests pass a renamed copy so they never touch the real topics. */
  catalog?: readonly CatalogTopic[];
  /** Perform the applicable actions (create, grow, alter config). Default: false (plan only). */
  apply?: boolean;
  /** Topic name prefix (see KafkaNamespace). Default: none. */
  namespace?: KafkaNamespace;
  /**
   * Also plan/apply the catalog's ACLs (acl-plan.ts), which are derived from the real catalog. Default: true
   * unless `catalog` is given (a renamed copy has no principals of its own); skipped without an authorizer.
   */
  acls?: boolean;
  /** With `apply`: also delete in-scope ACLs the catalog does not imply. Default: false (they are only shown). */
  prune?: boolean;
}

export interface AclProvisionResult {
  /** False when the cluster runs without an authorizer: no ACL applies there. */
  enforced: boolean;
  missing: AclBinding[];
  /** Managed principals' bindings in the namespace that the catalog does not imply. */
  extra: LiveAcl[];
  created: AclBinding[];
  deleted: LiveAcl[];
}

export interface ProvisionResult extends TopicPlan {
  brokerCount: number;
  /** Actions that were performed (empty for a plan). */
  applied: TopicPlan['actions'];
  /** The ACL drift (and what was done about it); absent with `acls: false`. */
  acls?: AclProvisionResult;
}

/**
 * Compares the catalog with the live cluster and, with `apply`, makes the cluster match where that is
 * safe. Refused actions (partition decreases, replication drift) are returned, never performed.
 */
export async function provisionTopics(options: ProvisionOptions): Promise<ProvisionResult> {
  const namespace = options.namespace;
  const catalog = (options.catalog ?? catalogTopics()).map((t) =>
    namespace ? { ...t, name: namespace.topic(t.name) } : t,
  );
  const admin = createAdmin(options.connection);
  try {
    const configKeys = [...new Set(catalog.flatMap((t) => Object.keys(t.configs)))];
    const cluster = await readCluster(
      admin,
      catalog.map((t) => t.name),
      configKeys,
    );
    const desired = desiredTopics(catalog, cluster.brokerCount);
    const plan = planTopics(desired.topics, cluster.topics);
    const applied = options.apply ? plan.actions.filter(isApplicable) : [];
    if (applied.length > 0) await applyActions(admin, applied);
    const withAcls = options.acls ?? options.catalog === undefined;
    const acls = withAcls ? await provisionAcls(admin, options, namespace) : undefined;
    return {
      brokerCount: cluster.brokerCount,
      actions: plan.actions,
      warnings: desired.warnings,
      applied,
      ...(acls === undefined ? {} : { acls }),
    };
  } finally {
    await admin.close();
  }
}

async function provisionAcls(
  admin: KafkaAdmin,
  options: ProvisionOptions,
  namespace: KafkaNamespace | undefined,
): Promise<AclProvisionResult> {
  const live = await readAcls(admin);
  if (live === undefined) return { enforced: false, missing: [], extra: [], created: [], deleted: [] };
  const scope = namespace ?? kafkaNamespace('');
  const plan = planAcls(catalogAcls(scope), live, scope);
  const extra = plan.extra as LiveAcl[];
  const created = options.apply ? plan.missing : [];
  const deleted = options.apply && options.prune ? extra : [];
  await createAcls(admin, created);
  await deleteAcls(admin, deleted);
  await awaitAclsInForce(admin, created, deleted);
  return { enforced: true, missing: plan.missing, extra, created, deleted };
}

/** Longest wait for created ACLs to be in force on the broker that answers; then apply fails. */
export const ACL_PROPAGATION_TIMEOUT_MS = 15_000;
const ACL_PROPAGATION_POLL_MS = 100;

/**
 * The controller acknowledges created ACLs before the brokers' authorizers have loaded them from the metadata
 * log: a client that connects right after an apply (a service started by the test that provisioned its
 * namespace, on a busy machine) was refused with TOPIC_AUTHORIZATION_FAILED. The brokers' authorizers answer
 * DescribeAcls from the state they enforce, so apply returns once they list every created binding and none
 * of the deleted ones (a pruned binding was still listed, and enforced, just after DeleteAcls answered).
 */
async function awaitAclsInForce(
  admin: KafkaAdmin,
  created: readonly AclBinding[],
  deleted: readonly Parameters<typeof aclKey>[0][],
): Promise<void> {
  if (created.length === 0 && deleted.length === 0) return;
  const wanted = new Set(created.map(aclKey));
  const gone = new Set(deleted.map(aclKey));
  const deadline = Date.now() + ACL_PROPAGATION_TIMEOUT_MS;
  while (true) {
    const live = (await readAcls(admin)) ?? [];
    const present = new Set(live.map(aclKey));
    const missing = [
      ...[...wanted].filter((key) => !present.has(key)),
      ...[...gone].filter((key) => present.has(key)).map((key) => `${key} (deleted, still listed)`),
    ];
    if (missing.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `${missing.length} ACL change(s) not in force after ${ACL_PROPAGATION_TIMEOUT_MS} ms, e.g. ${missing[0]}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, ACL_PROPAGATION_POLL_MS));
  }
}

/** Removes the catalog's ACLs of `namespace` (a test namespace's, after the test). */
export async function removeNamespaceAcls(connection: KafkaConnection, namespace: KafkaNamespace): Promise<void> {
  const admin = createAdmin(connection);
  try {
    const live = await readAcls(admin);
    if (live === undefined) return;
    const wanted = new Set(catalogAcls(namespace).map(aclKey));
    await deleteAcls(
      admin,
      live.filter((binding) => wanted.has(aclKey(binding))),
    );
  } finally {
    await admin.close();
  }
}
