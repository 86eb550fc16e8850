import { loadConfigOrExit } from '@realtoros/config';
import { createDb } from '@realtoros/db';
import { connectNats, onShutdown } from '@realtoros/messaging';
import { createLogger, startTelemetry } from '@realtoros/observability';
import { buildApp } from './app.ts';
import { GatewayConfig } from './config.ts';

const config = loadConfigOrExit(GatewayConfig);
const log = createLogger('gateway', config.LOG_LEVEL);
const stopTelemetry = await startTelemetry('gateway');
const db = createDb(config.DATABASE_URL, {
  applicationName: 'gateway',
  queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
  max: config.DATABASE_POOL_SIZE,
  connectionTimeoutMs: config.DATABASE_POOL_WAIT_MS,
});
const nc = await connectNats({ url: config.NATS_URL, name: 'gateway', log });
const app = await buildApp({ config, nc, db }, log);
await app.listen({ port: config.GATEWAY_PORT, host: config.GATEWAY_HOST });

onShutdown(log, [() => app.close(), () => nc.drain(), () => db.destroy(), stopTelemetry]);
