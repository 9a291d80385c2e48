/**
 * `@shop/platform/provisioning`: creates and reconciles the catalog's topics (`topics plan/apply`, test
 * namespaces, the bench stack). A separate entry point on purpose: topics come from the catalog through
 * this administrative path, and services, which never create topics, do not see it in their surface.
 */
export { type LiveAcl, readAcls } from './acl-admin.ts';
export {
  type AclBinding,
  type AclPlan,
  aclKey,
  catalogAcls,
  describeAcl,
  managedPrincipals,
  planAcls,
  principalOf,
} from './acl-plan.ts';
export {
  type AclProvisionResult,
  catalogTopics,
  type ProvisionOptions,
  type ProvisionResult,
  provisionTopics,
  removeNamespaceAcls,
} from './provision.ts';
export { describeAction, isApplicable, type TopicAction, type TopicPlan } from './topic-plan.ts';
