import { readFileSync } from 'node:fs';
import { POM_FILE } from './repo-paths.ts';

const VERSION_PROPERTY = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/;

/** Read from pom.xml so the Maven coordinates and the cache path can never disagree. */
export function kafkaVersion(): string {
  const match = VERSION_PROPERTY.exec(readFileSync(POM_FILE, 'utf8'));
  if (!match?.[1]) {
    throw new Error(`No <kafka.version> property in ${POM_FILE}`);
  }
  return match[1];
}
