import { Kvm } from '@nats-io/kv';
import { loadConfigOrExit } from '@realtoros/config';
import {
  connectNats,
  createEventStore,
  ensureEventStreams,
  natsReplicas,
  onShutdown,
  openImportFiles,
  serveCommands,
} from '@realtoros/messaging';
import { createLogger, startHealthServer, startTelemetry } from '@realtoros/observability';
import { CrmConfig } from './config.ts';
import { crmHandlers } from './handlers.ts';
import { startImportRunner } from './import/runner.ts';

const config = loadConfigOrExit(CrmConfig);
const log = createLogger('crm', config.LOG_LEVEL);
const stopTelemetry = await startTelemetry('crm');
const nc = await connectNats({ url: config.NATS_URL, name: 'crm', log });
const store = await createEventStore(nc);
await ensureEventStreams(store.jsm, ['CRM']);
const kvm = new Kvm(nc);
const clientEmails = await kvm.create('crm_client_emails', { history: 1, replicas: natsReplicas() });
const agentEmails = await kvm.create('crm_agent_emails', { history: 1, replicas: natsReplicas() });
const handlers = crmHandlers({ nc, store, clientEmails, agentEmails });
const sub = serveCommands(nc, 'crm', handlers, log);
log.info('crm serving commands');
const files = await openImportFiles(nc);
const importRunner = await startImportRunner({ js: store.js, jsm: store.jsm, store, handlers, files, clientEmails, log });

const health = await startHealthServer({ port: config.HEALTH_PORT, log, checks: { nats: () => nc.flush() } });

onShutdown(log, [() => health.close(), () => importRunner.stop(), () => sub.drain(), () => nc.drain(), stopTelemetry]);
