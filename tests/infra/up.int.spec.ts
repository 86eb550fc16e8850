import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../scripts/up/daemon.ts';
import { findNatsServer, provideNats } from '../../scripts/up/nats.ts';
import { natsInfo } from '../../scripts/up/net.ts';
import { provideDatabase } from '../../scripts/up/postgres.ts';
import { createSupervisor } from '../../scripts/up/processes.ts';

const quiet = () => {};
let dir = '';
const saved = { NATS_URL: process.env.NATS_URL, DATABASE_URL: process.env.DATABASE_URL };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rt-up-'));
  chmodSync(dir, 0o755); // the embedded Postgres runs as user postgres when we are root
  delete process.env.NATS_URL;
  delete process.env.DATABASE_URL;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  Object.assign(process.env, saved);
});

const natsInfoOf = (url: URL) => natsInfo(url.hostname, Number(url.port));
const node = (code: string) => [process.execPath, ['-e', code]] as const;

describe('supervisor: services as child processes', () => {
  it('prefixes and pretty-prints their lines, and on stop kills what ignores SIGTERM and what it started', async () => {
    const out: string[] = [];
    const sup = createSupervisor({ runFile: join(dir, 'run1.json'), prefix: (n) => `[${n}]`, write: (s) => void out.push(s) });
    // Ignores SIGTERM and starts a grandchild that would outlive it.
    const [cmd, args] = node(`
      process.on('SIGTERM', () => {});
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log(JSON.stringify({ level: 30, time: new Date().toISOString(), msg: 'ready', grandchild: g.pid }));
      setInterval(() => {}, 1000);`);
    const svc = sup.start({ name: 'stubborn', command: cmd, args: [...args], env: { ...process.env } as Record<string, string>, cwd: dir });
    await waitFor(() => out.some((l) => l.includes('ready')));
    const line = out.find((l) => l.includes('ready')) ?? '';
    expect(line).toMatch(/^\[stubborn\] \d\d:\d\d:\d\d INFO {2}ready grandchild=\d+\n$/);
    const grandchild = Number(/grandchild=(\d+)/.exec(line)?.[1]);
    const pid = svc.pid() ?? 0;
    expect(isAlive(pid) && isAlive(grandchild)).toBe(true);

    const t0 = Date.now();
    await sup.stopAll(1000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await waitFor(() => !isAlive(pid) && !isAlive(grandchild));
    expect(svc.state()).toBe('stopped');
  });

  it('does not restart a service that failed on its configuration (exit 78), and restarts one that crashed', async () => {
    const out: string[] = [];
    const sup = createSupervisor({ runFile: join(dir, 'run2.json'), prefix: (n) => `[${n}]`, write: (s) => void out.push(s) });
    const [c1, a1] = node(`console.error('Invalid configuration: JWT_SECRET must be set'); process.exit(78)`);
    const bad = sup.start({ name: 'badconfig', command: c1, args: [...a1], env: {}, cwd: dir });
    await bad.ended;
    expect(bad.state()).toBe('gave-up');
    expect(out.join('')).toContain('invalid configuration');

    const marker = join(dir, 'crashed-once');
    const [c2, a2] = node(`
      const fs = require('node:fs');
      if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(1); }
      console.log('second life'); setInterval(() => {}, 1000);`);
    sup.start({ name: 'flaky', command: c2, args: [...a2], env: {}, cwd: dir });
    await waitFor(() => out.some((l) => l.includes('second life')), 8000);
    expect(out.join('')).toContain('[flaky] exited with code 1; restarting in 1 s');
    await sup.stopAll(2000);
  });
});

describe.skipIf(!findNatsServer())('NATS for `npm run up`', () => {
  it('starts its own nats-server with JetStream under the data directory and stops it', async () => {
    const nats = await provideNats(dir, quiet);
    const url = new URL(nats.url);
    const info = await natsInfoOf(url);
    expect(info?.jetstream).toBe(true);
    await nats.stop();
    expect(await natsInfoOf(url)).toBeNull();
  });

  it('fails with a clear line when NATS_URL answers nothing', async () => {
    process.env.NATS_URL = 'nats://127.0.0.1:1';
    try {
      await expect(provideNats(dir, quiet)).rejects.toThrow(/NATS_URL=nats:\/\/127\.0\.0\.1:1: no NATS server answers/);
    } finally {
      delete process.env.NATS_URL;
    }
  });
});

describe('embedded PostgreSQL for `npm run up`', () => {
  it('initialises .data/pg (as user postgres when run as root), serves database realtoros, stops, and starts again', async () => {
    for (let round = 0; round < 2; round++) {
      const db = await provideDatabase(dir, quiet);
      expect(db.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/realtoros$/);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const r = await client.query('SELECT current_database() AS db');
      await client.end();
      expect(r.rows[0].db).toBe('realtoros');
      await db.stop();
      await expect(new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 1000 }).connect()).rejects.toThrow();
    }
  }, 120_000);

  it.skipIf(userInfo().uid !== 0)('as root, says what to do when user postgres cannot reach the data directory', async () => {
    const locked = mkdtempSync(join(tmpdir(), 'rt-up-locked-')); // mode 0700, owned by root
    try {
      await expect(provideDatabase(join(locked, '.data'), quiet)).rejects.toThrow(/cannot reach .*chmod o\+x/s);
    } finally {
      rmSync(locked, { recursive: true, force: true });
    }
  });

  it('creates the database named in DATABASE_URL when it is missing', async () => {
    const admin = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const name = `rt_up_${Date.now().toString(36)}`;
    const url = new URL(admin);
    url.pathname = `/${name}`;
    process.env.DATABASE_URL = url.toString();
    try {
      const db = await provideDatabase(dir, quiet);
      expect(db.description).toContain(`created database ${name}`);
    } finally {
      delete process.env.DATABASE_URL;
      spawnSync('psql', [admin, '-c', `DROP DATABASE IF EXISTS ${name}`]);
    }
  });
});

async function waitFor(fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
