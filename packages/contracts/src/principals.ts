/**
 * The Kafka principals of the platform: one per service (its name, see services.ts) and one per operator
 * tool. They are catalog data like topic names: the local brokers create their SCRAM credentials, `topics
 * apply` grants each one the ACLs the catalog implies (packages/platform/src/kafka/provisioning/acl-plan.ts),
 * and the tests log in as them. Only the provisioner is a super user; it never runs a service.
 */
import { SERVICES, type ServiceName } from './services.ts';

/** The operator tools, each with its own principal. */
export const TOOL_PRINCIPALS = {
  /** `topics plan/apply` and the test harness's set-up: creates topics and ACLs (a super user). */
  provisioner: 'shop-provisioner',
  /** The lag monitor and `cli lag`: describes groups and reads their offsets. */
  lagReader: 'shop-lag-reader',
  /** `cli dlt`: reads dead letters and writes them back to retry tiers. */
  dltReplayer: 'shop-dlt-replayer',
} as const;

export type ToolPrincipal = (typeof TOOL_PRINCIPALS)[keyof typeof TOOL_PRINCIPALS];

/** A principal's SCRAM user name; a service logs in under its own name. */
export type PrincipalName = ServiceName | ToolPrincipal;

/** Every application principal (services first, then tools); the brokers' own principals are not in it. */
export const APPLICATION_PRINCIPALS: readonly PrincipalName[] = Object.freeze([
  ...SERVICES,
  ...Object.values(TOOL_PRINCIPALS),
]);

/** The SCRAM user a service logs in as. */
export function servicePrincipal(service: ServiceName): PrincipalName {
  return service;
}
