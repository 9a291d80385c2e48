/**
 * `npm run cli -- token --customer <id>` / `--operator` / `--service <name>`: an HS256 bearer token for the
 * local stack, signed with its secret (local-secret.ts), printed alone on stdout so that
 * `TOKEN=$(npm run -s cli -- token --customer <id>)` works. Production tokens come from the identity
 * provider; this only works where the services verify with a shared secret.
 */
import { mintToken, type Role } from '@shop/platform';
import { Command, InvalidArgumentError } from 'commander';
import { localAuthSecret } from './local-secret.ts';

/** Default lifetime: a working day at the terminal. */
export const DEFAULT_TOKEN_TTL_SECONDS = 12 * 60 * 60;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export interface TokenRequest {
  customer?: string;
  operator?: boolean;
  service?: string;
  /** Subject of an operator token. Default: `operator`. */
  subject?: string;
}

/** The subject and role a token request asks for; exactly one of --customer, --operator, --service. */
export function tokenClaims(request: TokenRequest): { subject: string; roles: Role[] } {
  const chosen = [request.customer !== undefined, request.operator === true, request.service !== undefined];
  if (chosen.filter(Boolean).length !== 1) {
    throw new InvalidArgumentError('choose exactly one of --customer <id>, --operator, --service <name>');
  }
  if (request.customer !== undefined) {
    // The Order Service takes the customer id from the subject; anything but a UUID would be refused there.
    if (!UUID.test(request.customer)) throw new InvalidArgumentError(`--customer ${request.customer} is not a UUID`);
    return { subject: request.customer.toLowerCase(), roles: ['customer'] };
  }
  if (request.service !== undefined) return { subject: request.service, roles: ['service'] };
  return { subject: request.subject ?? 'operator', roles: ['operator'] };
}

/** An operator token for the other commands (saga retry): --token, SHOP_TOKEN, or minted from the local secret. */
export async function operatorBearer(token: string | undefined): Promise<string> {
  const given = token ?? process.env.SHOP_TOKEN;
  if (given !== undefined && given !== '') return given;
  return mintToken(localAuthSecret(), { subject: 'operator-cli', roles: ['operator'], ttlSeconds: 300 });
}

export function tokenCommand(): Command {
  return new Command('token')
    .description('Print a bearer token for the local stack (signed with .run/auth-secret or AUTH_JWT_SECRET)')
    .option('--customer <id>', 'a customer token (the customer id, a UUID, is its subject)')
    .option('--operator', 'an operator token (stock changes, saga retry, payments, notifications)')
    .option('--service <name>', 'a service token (service-to-service calls)')
    .option('--subject <name>', 'the subject of an operator token', 'operator')
    .option('--ttl <seconds>', 'lifetime', (value) => Number.parseInt(value, 10), DEFAULT_TOKEN_TTL_SECONDS)
    .option(
      '--secret-file <path>',
      'the HS256 secret (default: $AUTH_JWT_SECRET, $AUTH_JWT_SECRET_FILE, .run/auth-secret)',
    )
    .action(async (options: TokenRequest & { ttl: number; secretFile?: string }) => {
      if (!Number.isInteger(options.ttl) || options.ttl < 1)
        throw new InvalidArgumentError('--ttl must be a positive integer');
      const claims = tokenClaims(options);
      const token = await mintToken(localAuthSecret(process.env, options.secretFile), {
        ...claims,
        ttlSeconds: options.ttl,
      });
      process.stdout.write(`${token}\n`);
    });
}
