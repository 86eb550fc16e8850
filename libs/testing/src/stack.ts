import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats, type TestNats } from './nats.ts';
import { freePort, waitFor } from './ports.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { startService, type ServiceProcess } from './processes.ts';

export type ServiceName = 'crm' | 'scheduler' | 'ai-agent' | 'mailer' | 'projector' | 'gateway';
export type Stack = {
  nats: TestNats;
  database: TestDatabase;
  env: Record<string, string>;
  /** Base URL of the gateway, when it was started. */
  api: string;
  services: Map<ServiceName, ServiceProcess>;
  start(name: ServiceName): Promise<ServiceProcess>;
  stop(name: ServiceName, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  dispose(): Promise<void>;
};

/**
 * The real system for a test: its own nats-server and database, and the named services as
 * separate Node processes (as in production), configured through the environment.
 */
export async function startStack(names: ServiceName[], extraEnv: Record<string, string> = {}): Promise<Stack> {
  const nats = await startNats();
  const database = await createTestDatabase();
  const port = await freePort();
  const env: Record<string, string> = {
    NATS_URL: nats.url,
    DATABASE_URL: database.url,
    GATEWAY_PORT: String(port),
    GATEWAY_HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    JWT_SECRET: 'test-secret-test-secret-test-secret',
    // Every spec signs up and logs in from 127.0.0.1, many at once: the per-IP limit is the
    // subject of its own spec (tests/api/auth-security.int.spec.ts), which sets it low.
    RATE_LIMIT_PER_MINUTE: '100000',
    WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
    OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'realtoros-outbox-')),
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const services = new Map<ServiceName, ServiceProcess>();
  const api = `http://127.0.0.1:${port}`;

  async function start(name: ServiceName): Promise<ServiceProcess> {
    const p = startService(name, env);
    services.set(name, p);
    if (name === 'gateway')
      await waitFor(async () => (await fetch(`${api}/readyz`)).ok, { timeoutMs: 60_000, what: 'gateway ready' });
    return p;
  }
  try {
    // The projector migrates the database; start it first so the others find their tables.
    for (const name of [...names].sort((a, b) => (a === 'projector' ? -1 : b === 'projector' ? 1 : 0))) await start(name);
    if (names.includes('projector'))
      await waitFor(async () => {
        const r = await database.db.selectFrom('projection_checkpoints').select('stream').execute().catch(() => null);
        return r !== null;
      }, { what: 'projector started' });
  } catch (err) {
    // A stack that failed to start must not leave its processes running (nobody else can stop them).
    const logs = [...services.values()].map((s) => `--- ${s.name}\n${s.output().slice(-2000)}`).join('\n');
    await Promise.all([...services.values()].map((s) => s.stop('SIGKILL')));
    await database.dispose();
    await nats.dispose();
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }

  return {
    nats, database, env, api, services, start,
    async stop(name, signal = 'SIGTERM') {
      await services.get(name)?.stop(signal);
      services.delete(name);
    },
    async dispose() {
      await Promise.all([...services.values()].map((s) => s.stop('SIGKILL')));
      await database.dispose();
      await nats.dispose();
    },
  };
}
