import { type Acl, AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka';
import type { KafkaAdmin } from '../clients.ts';
import type { AclBinding, AclOp, AclResource } from './acl-plan.ts';

/** A live binding as provisioning compares it, with the broker's own record to delete it exactly. */
export type LiveAcl = Omit<AclBinding, 'reason'> & { readonly raw: Acl };

const OPERATION_NAMES = new Map<number, string>(Object.entries(AclOperations).map(([name, value]) => [value, name]));
const RESOURCE_NAMES = new Map<number, string>(Object.entries(ResourceTypes).map(([name, value]) => [value, name]));

function toAcl(binding: Omit<AclBinding, 'reason'>): Acl {
  return {
    resourceType: ResourceTypes[binding.resourceType],
    resourceName: binding.resourceName,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: binding.principal,
    host: '*',
    operation: AclOperations[binding.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/** True for the error of a cluster that runs without an authorizer (SECURITY_DISABLED). */
function isSecurityDisabled(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const { message, apiCode, code, errors, cause } = error as Record<string, unknown>;
  if (
    apiCode === 54 ||
    /SECURITY_DISABLED|No Authorizer is configured|Security features are disabled/i.test(
      `${String(message)} ${String(code)}`,
    )
  )
    return true;
  return [cause, ...(Array.isArray(errors) ? errors : [])].some((inner) => isSecurityDisabled(inner, depth + 1));
}

/**
 * Every ALLOW binding on a topic or group, or undefined when the cluster has no authorizer (a plaintext
 * development cluster): then there is nothing to provision.
 */
export async function readAcls(admin: KafkaAdmin): Promise<LiveAcl[] | undefined> {
  let resources: Awaited<ReturnType<KafkaAdmin['describeAcls']>>;
  try {
    resources = await admin.describeAcls({
      filter: {
        resourceType: ResourceTypes.ANY,
        resourceName: null,
        resourcePatternType: ResourcePatternTypes.ANY,
        principal: null,
        host: null,
        operation: AclOperations.ANY,
        permissionType: AclPermissionTypes.ANY,
      },
    });
  } catch (error) {
    if (isSecurityDisabled(error)) return undefined;
    throw error;
  }
  return resources.flatMap((resource) =>
    resource.acls.flatMap((permission): LiveAcl[] => {
      const resourceType = RESOURCE_NAMES.get(resource.resourceType);
      if (resourceType !== 'TOPIC' && resourceType !== 'GROUP') return [];
      if (permission.permissionType !== AclPermissionTypes.ALLOW) return [];
      const raw: Acl = { ...resource, ...permission };
      return [
        {
          principal: permission.principal,
          resourceType: resourceType as AclResource,
          resourceName: resource.resourceName,
          operation: (OPERATION_NAMES.get(permission.operation) ?? 'UNKNOWN') as AclOp,
          raw,
        },
      ];
    }),
  );
}

export async function createAcls(admin: KafkaAdmin, bindings: readonly Omit<AclBinding, 'reason'>[]): Promise<void> {
  if (bindings.length > 0) await admin.createAcls({ creations: bindings.map(toAcl) });
}

export async function deleteAcls(admin: KafkaAdmin, bindings: readonly LiveAcl[]): Promise<void> {
  if (bindings.length > 0) await admin.deleteAcls({ filters: bindings.map((binding) => binding.raw) });
}
