/**
 * An optional prefix for every topic and consumer group a process uses. Production leaves it empty, so
 * names are exactly the catalog's. Tests (and parallel dev stacks on one cluster) set a unique one, so each
 * test run has its own topics and groups without a second broker: `<namespace>.<catalog name>`.
 */
export interface KafkaNamespace {
  readonly prefix: string;
  topic(catalogName: string): string;
  group(catalogGroupId: string): string;
  /** The catalog name of a namespaced topic, or undefined when it is not in this namespace. */
  catalogName(topic: string): string | undefined;
}

export const NAMESPACE_PATTERN = '^([a-z0-9][a-z0-9-]*)?$';

export function kafkaNamespace(prefix: string): KafkaNamespace {
  const apply = (name: string) => (prefix === '' ? name : `${prefix}.${name}`);
  return Object.freeze({
    prefix,
    topic: apply,
    group: apply,
    catalogName(topic: string) {
      if (prefix === '') return topic;
      return topic.startsWith(`${prefix}.`) ? topic.slice(prefix.length + 1) : undefined;
    },
  });
}
