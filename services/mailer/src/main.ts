import { resolve } from 'node:path';
import { connectNats, createEventStore, ensureEventStreams, historyReader, onShutdown, runConsumer, serveCommands, type RunningConsumer } from '@realtoros/messaging';
import { createLogger, startHealthServer, startTelemetry } from '@realtoros/observability';
import { loadMailerConfigOrExit } from './config.ts';
import { outboxSender } from './providers/outbox.ts';
import { sendGridSender } from './providers/sendgrid.ts';
import { openMailerState } from './state.ts';
import { onEmailGenerated, type MailerDeps } from './workflows/send-email.ts';
import { onResendRequested, resolveUnknownCommand } from './workflows/resolve.ts';
import { onEngagement } from './workflows/suppression.ts';
import { recordInbound } from './workflows/inbound.ts';
import { mailerCommands } from './workflows/webhook.ts';

const config = loadMailerConfigOrExit();
const log = createLogger('mailer', config.LOG_LEVEL);
const stopTelemetry = await startTelemetry('mailer');
const nc = await connectNats({ url: config.NATS_URL, name: 'mailer', log });
const store = await createEventStore(nc);
// MAILER is ours; AI is consumed, CRM read (idempotent: same config as their owners).
await ensureEventStreams(store.jsm, ['MAILER', 'AI', 'CRM']);
const state = await openMailerState(store.js);

const sender =
  config.provider === 'sendgrid'
    ? sendGridSender({ apiKey: config.SENDGRID_API_KEY ?? '', baseUrl: config.SENDGRID_BASE_URL, timeoutMs: config.SENDGRID_TIMEOUT_MS })
    : outboxSender(resolve(config.OUTBOX_DIR));
const deps: MailerDeps = {
  store, state, sender, log,
  history: historyReader(store, { opensWith: ['ClientCreated'] }),
  message: {
    publicBaseUrl: config.PUBLIC_BASE_URL, jwtSecret: config.JWT_SECRET, fromEmail: config.SENDGRID_FROM_EMAIL,
    fromName: config.SENDGRID_FROM_NAME, postalAddress: config.SENDER_POSTAL_ADDRESS ?? null,
    inboundDomain: config.INBOUND_DOMAIN ?? null,
  },
  maxAttempts: config.MAILER_MAX_ATTEMPTS,
  retryBaseMs: config.MAILER_RETRY_BASE_MS,
};

// Commands first: once a restarted replica's consumers make an email `unknown`, the agent's
// resolve_unknown must find someone answering it.
const inbound = {
  store, state, log, secret: config.JWT_SECRET, inboundDomain: config.INBOUND_DOMAIN ?? null,
  messageIdDomain: config.SENDGRID_FROM_EMAIL.split('@')[1] ?? 'realtoros.local',
};
const commands = serveCommands(
  nc,
  'mailer',
  {
    ...mailerCommands({ store, state, log }),
    resolve_unknown: resolveUnknownCommand({ store, state, log }),
    record_inbound: async (p, ctx) => ({ data: await recordInbound(inbound, p, ctx.meta.correlation_id), position: null }),
  },
  log,
);

// One durable consumer handling several messages at once: a slow call doesn't hold up the others.
const consumers: RunningConsumer[] = [];
consumers.push(
  await runConsumer({
    js: store.js, jsm: store.jsm, stream: 'AI', durable: 'mailer', filterSubject: 'ai.>', log, concurrency: config.MAILER_CONCURRENCY, ackWaitMs: config.MAILER_ACK_WAIT_MS,
    eventTypes: ['EmailGenerated'],
    handle: async (event, ctx) => {
      if (event.type === 'EmailGenerated') await onEmailGenerated(deps, event, ctx.traceparent, { firstDelivery: ctx.deliveryCount === 1 });
    },
  }),
);
consumers.push(
  await runConsumer({
    js: store.js, jsm: store.jsm, stream: 'MAILER', durable: 'mailer-suppressions', filterSubject: 'mail.>', log,
    // The engagement events onEngagement acts on; every EmailSent and report passes undecoded.
    eventTypes: ['EmailBounced', 'EmailDropped', 'EmailSpamReported', 'EmailUnsubscribed'],
    handle: (event) => onEngagement({ state, nc, log }, event),
  }),
);
// The agent's "send again" on an email whose outcome was unknown (resolve_unknown resend).
consumers.push(
  await runConsumer({
    js: store.js, jsm: store.jsm, stream: 'MAILER', durable: 'mailer-resends', filterSubject: 'mail.>', log, ackWaitMs: config.MAILER_ACK_WAIT_MS,
    eventTypes: ['EmailResendRequested'],
    handle: async (event, ctx) => {
      if (event.type === 'EmailResendRequested') await onResendRequested(deps, event, ctx.traceparent);
    },
  }),
);
log.info({ provider: sender.provider, concurrency: config.MAILER_CONCURRENCY }, 'mailer running');

const health = await startHealthServer({ port: config.HEALTH_PORT, log, checks: { nats: () => nc.flush() } });

onShutdown(log, [
  () => health.close(),
  async () => commands.unsubscribe(),
  () => Promise.all(consumers.map((c) => c.stop())),
  () => nc.drain(),
  stopTelemetry,
]);
