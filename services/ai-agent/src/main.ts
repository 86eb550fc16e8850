import { loadAiAgentConfigOrExit } from './config.ts';
import { createDb } from '@realtoros/db';
import { connectNats, createEventStore, ensureEventStreams, historyReader, onShutdown, runConsumer, serveCommands, type RunningConsumer } from '@realtoros/messaging';
import { createLogger, startHealthServer, startTelemetry } from '@realtoros/observability';
import { recentEmailsTo } from '@realtoros/queries';
import { aiCommands } from './commands.ts';
import type { GeneratorDeps } from './generate.ts';
import { openAIWriter } from './providers/openai.ts';
import { templateWriter } from './providers/template.ts';
import { onTaskDue } from './workflows/task-due.ts';

const config = loadAiAgentConfigOrExit();
const log = createLogger('ai-agent', config.LOG_LEVEL);
const stopTelemetry = await startTelemetry('ai-agent');
const db = createDb(config.DATABASE_URL, { applicationName: 'ai-agent', max: 4 });
const nc = await connectNats({ url: config.NATS_URL, name: 'ai-agent', log });
const store = await createEventStore(nc);
// AI is ours; CRM and SCHEDULER are read/consumed (idempotent: same config as their owners).
await ensureEventStreams(store.jsm, ['AI', 'CRM', 'SCHEDULER']);

const writer =
  config.provider === 'openai'
    ? openAIWriter({
        apiKey: config.OPENAI_API_KEY ?? '', baseURL: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL,
        timeoutMs: config.OPENAI_TIMEOUT_MS, maxRetries: config.OPENAI_MAX_RETRIES,
      })
    : templateWriter;
const deps: GeneratorDeps = {
  store, writer, log,
  history: historyReader(store, { opensWith: ['ClientCreated', 'AgentRegistered'] }),
  recentEmails: (a, c) => recentEmailsTo(db, a, c, 3),
};

// One durable consumer handling several messages at once: a slow call doesn't hold up the others.
const consumers: RunningConsumer[] = [];
consumers.push(
  await runConsumer({
    js: store.js, jsm: store.jsm, stream: 'SCHEDULER', durable: 'ai-agent', filterSubject: 'sched.>', log, concurrency: config.AI_CONCURRENCY,
    ackWaitMs: config.AI_ACK_WAIT_MS,
    // Every scheduler event passes this consumer; only TaskDue is decoded.
    eventTypes: ['TaskDue'],
    handle: async (event, ctx) => {
      if (event.type === 'TaskDue') await onTaskDue(deps, event, ctx.traceparent);
    },
  }),
);
const commands = serveCommands(nc, 'ai', aiCommands(deps), log);
log.info({ provider: writer.provider, model: writer.model, concurrency: config.AI_CONCURRENCY }, 'ai-agent running');

const health = await startHealthServer({ port: config.HEALTH_PORT, log, checks: { nats: () => nc.flush() } });

onShutdown(log, [
  () => health.close(),
  async () => commands.unsubscribe(),
  () => Promise.all(consumers.map((c) => c.stop())),
  () => nc.drain(),
  () => db.destroy(),
  stopTelemetry,
]);
