import { Kvm } from '@nats-io/kv';
import { loadConfigOrExit } from '@realtoros/config';
import { connectNats, createEventStore, ensureEventStreams, natsReplicas, onShutdown, serveCommands } from '@realtoros/messaging';
import { createLogger, startHealthServer, startTelemetry } from '@realtoros/observability';
import { CrmConfig } from './config.ts';
import { crmHandlers } from './handlers.ts';

const config = loadConfigOrExit(CrmConfig);
const log = createLogger('crm', config.LOG_LEVEL);
const stopTelemetry = await startTelemetry('crm');
const nc = await connectNats({ url: config.NATS_URL, name: 'crm', log });
const store = await createEventStore(nc);
await ensureEventStreams(store.jsm, ['CRM']);
const kvm = new Kvm(nc);
const clientEmails = await kvm.create('crm_client_emails', { history: 1, replicas: natsReplicas() });
const agentEmails = await kvm.create('crm_agent_emails', { history: 1, replicas: natsReplicas() });
const sub = serveCommands(nc, 'crm', crmHandlers({ nc, store, clientEmails, agentEmails }), log);
log.info('crm serving commands');

const health = await startHealthServer({ port: config.HEALTH_PORT, log, checks: { nats: () => nc.flush() } });

onShutdown(log, [() => health.close(), () => sub.drain(), () => nc.drain(), stopTelemetry]);
