/**
 * The console process: `node tools/src/console/console-main.ts`; `npm start` runs it (scripts/stack.ts). Builds
 * the front end, then serves it with the console's API. Environment, read once here: KAFKA_BOOTSTRAP_SERVERS,
 * KAFKA_NAMESPACE, CONSOLE_PORT, CONSOLE_HOST, CONSOLE_POLL_INTERVAL_MS, the four services' URLs
 * (ORDER_SERVICE_URL, INVENTORY_SERVICE_URL, PAYMENT_SERVICE_URL, NOTIFICATION_SERVICE_URL; default: each
 * service's default port on this host), and how it signs its calls (CONSOLE_OPERATOR_TOKEN, or the stack's
 * HS256 secret: AUTH_JWT_SECRET, AUTH_JWT_SECRET_FILE, .run/auth-secret).
 */
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import { CommonEnvSchema, kafkaConnectionFromEnv, kafkaNamespace, loadEnv, NAMESPACE_PATTERN } from '@shop/platform';
import Type from 'typebox';
import { inventoryService } from '../../../services/inventory/src/service.ts';
import { notificationService } from '../../../services/notification/src/service.ts';
import { orderService } from '../../../services/order/src/service.ts';
import { paymentService } from '../../../services/payment/src/service.ts';
import { localAuthSecret } from '../auth/local-secret.ts';
import { DEFAULT_WINDOW_SAMPLES } from '../lag/burrow-status.ts';
import { catalogGroups } from '../lag/lag-reader.ts';
import { createConsoleServer } from './console-server.ts';
import { operatorTokenCredentials, signedCredentials } from './service-client.ts';
import { buildWeb } from './web-build.ts';

export const DEFAULT_CONSOLE_PORT = 8080;
const local = (port: number) => `http://127.0.0.1:${port}`;

const ConsoleEnvSchema = Type.Object({
  ...CommonEnvSchema.properties,
  KAFKA_NAMESPACE: Type.String({ default: '', pattern: NAMESPACE_PATTERN }),
  CONSOLE_PORT: Type.Integer({ default: DEFAULT_CONSOLE_PORT, minimum: 0, maximum: 65_535 }),
  CONSOLE_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  CONSOLE_POLL_INTERVAL_MS: Type.Integer({ default: 2_000, minimum: 250 }),
  ORDER_SERVICE_URL: Type.String({ default: local(orderService.defaultPort), minLength: 1 }),
  INVENTORY_SERVICE_URL: Type.String({ default: local(inventoryService.defaultPort), minLength: 1 }),
  PAYMENT_SERVICE_URL: Type.String({ default: local(paymentService.defaultPort), minLength: 1 }),
  NOTIFICATION_SERVICE_URL: Type.String({ default: local(notificationService.defaultPort), minLength: 1 }),
  /**
   * An operator token to call the services with (an identity provider's). Unset: the console mints its own
   * tokens with the stack's HS256 secret (AUTH_JWT_SECRET, AUTH_JWT_SECRET_FILE, or npm start's .run/auth-secret).
   */
  CONSOLE_OPERATOR_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
});

const env = loadEnv(ConsoleEnvSchema);
const webRoot = await buildWeb();
const app = await createConsoleServer({
  credentials:
    env.CONSOLE_OPERATOR_TOKEN === undefined
      ? signedCredentials(localAuthSecret())
      : operatorTokenCredentials(env.CONSOLE_OPERATOR_TOKEN),
  services: {
    order: env.ORDER_SERVICE_URL,
    inventory: env.INVENTORY_SERVICE_URL,
    payment: env.PAYMENT_SERVICE_URL,
    notification: env.NOTIFICATION_SERVICE_URL,
  },
  // Each Kafka read path logs in as the tool whose path it is, under that tool's ACLs.
  kafka: {
    connection: kafkaConnectionFromEnv(process.env, { clientId: 'shop-console', principal: TOOL_PRINCIPALS.lagReader }),
    deadLettersConnection: kafkaConnectionFromEnv(process.env, {
      clientId: 'shop-console',
      principal: TOOL_PRINCIPALS.dltReplayer,
    }),
    catalogConnection: kafkaConnectionFromEnv(process.env, {
      clientId: 'shop-console',
      principal: TOOL_PRINCIPALS.provisioner,
    }),
    namespace: kafkaNamespace(env.KAFKA_NAMESPACE),
    groups: catalogGroups(kafkaNamespace(env.KAFKA_NAMESPACE)),
  },
  deadLetters: { databaseUrl: env.DATABASE_URL },
  webRoot,
  pollIntervalMs: env.CONSOLE_POLL_INTERVAL_MS,
  lagWindowSamples: DEFAULT_WINDOW_SAMPLES,
});
const url = await app.listen({ port: env.CONSOLE_PORT, host: env.CONSOLE_HOST });
process.stderr.write(`console: ${url}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
