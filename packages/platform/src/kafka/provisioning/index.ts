/**
 * `@shop/platform/provisioning`: creates and reconciles the catalog's topics (`topics plan/apply`, test
 * namespaces, the bench stack). A separate entry point on purpose: topics come from the catalog through
 * this administrative path, and services, which never create topics, do not see it in their surface.
 */
export { catalogTopics, type ProvisionOptions, type ProvisionResult, provisionTopics } from './provision.ts';
export { describeAction, isApplicable, type TopicAction, type TopicPlan } from './topic-plan.ts';
