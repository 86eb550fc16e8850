import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceEnv } from '../../scripts/up/env.ts';
import { installState } from '../../scripts/up/install.ts';
import { box, formatLogLine, lineSplitter } from '../../scripts/up/log.ts';
import { redact } from '../../scripts/up/nats.ts';
import { firstNatsServer } from '../../scripts/up/net.ts';

describe('formatLogLine (service logs in `npm run up`)', () => {
  it('turns a pino line into time, level, message and the other fields', () => {
    const line = JSON.stringify({
      level: 30,
      time: '2026-11-21T23:53:54.123Z',
      pid: 1,
      hostname: 'h',
      service: 'crm',
      name: 'crm',
      msg: 'connected to NATS',
      server: '127.0.0.1:4222',
    });
    expect(formatLogLine(line)).toBe('23:53:54 INFO  connected to NATS server=127.0.0.1:4222');
  });

  it('shows an error with its message and stack', () => {
    const line = JSON.stringify({
      level: 50,
      time: '2026-11-21T23:53:54.123Z',
      msg: 'boom',
      err: { type: 'Error', message: 'bad thing', stack: 'Error: bad thing\n    at x' },
    });
    const out = formatLogLine(line);
    expect(out).toContain('ERROR boom err="bad thing"');
    expect(out).toContain('\n    Error: bad thing\n        at x');
  });

  it('leaves lines that are not pino JSON alone', () => {
    expect(formatLogLine('Listening on http://0.0.0.0:3000')).toBe('Listening on http://0.0.0.0:3000');
    expect(formatLogLine('{not json')).toBe('{not json');
    expect(formatLogLine('{"a":1}')).toBe('{"a":1}');
  });
});

describe('lineSplitter', () => {
  it('hands over complete lines only, across chunks', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.push('one\ntw');
    s.push('o\r\nthr');
    expect(lines).toEqual(['one', 'two']);
    s.flush();
    expect(lines).toEqual(['one', 'two', 'thr']);
  });
});

describe('box', () => {
  it('draws every line at the same width', () => {
    const rows = box(['a', 'longer line']).split('\n');
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
    expect(rows).toHaveLength(4);
  });
});

describe('URLs', () => {
  it('finds the first NATS server and hides passwords', () => {
    expect(firstNatsServer('nats://a:4223,nats://b:4222')).toEqual({ host: 'a', port: 4223 });
    expect(firstNatsServer('127.0.0.1')).toEqual({ host: '127.0.0.1', port: 4222 });
    expect(redact('postgres://postgres:s3cret@127.0.0.1:5432/realtoros')).toBe('postgres://postgres:***@127.0.0.1:5432/realtoros');
  });
});

describe('serviceEnv', () => {
  it('passes every variable the services and the web app need (ARCHITECTURE.md §8)', () => {
    const env = serviceEnv({
      natsUrl: 'nats://127.0.0.1:1',
      databaseUrl: 'postgres://x@y/z',
      gatewayPort: 8001,
      webPort: 3001,
      jwtSecret: 's'.repeat(40),
      outboxDir: '/tmp/o',
    });
    for (const k of [
      'NATS_URL',
      'DATABASE_URL',
      'GATEWAY_PORT',
      'WEB_PORT',
      'PUBLIC_BASE_URL',
      'JWT_SECRET',
      'OUTBOX_DIR',
      'GATEWAY_URL',
      'LOG_LEVEL',
    ])
      expect(env[k], k).toBeTruthy();
    expect(env.GATEWAY_URL).toBe(process.env.GATEWAY_URL || 'http://127.0.0.1:8001');
  });
});

describe('installState (is node_modules up to date?)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const setup = (opts: { installed?: Record<string, unknown>; wants?: Record<string, string> } = {}) => {
    dir = mkdtempSync(join(tmpdir(), 'rt-install-'));
    const lock = {
      packages: {
        '': { dependencies: { a: '1.0.0' } },
        'node_modules/a': { version: '1.0.0' },
        'node_modules/@x/darwin': { version: '1.0.0', optional: true },
      },
    };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ dependencies: opts.wants ?? { a: '1.0.0' } }));
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
    if (opts.installed) {
      mkdirSync(join(dir, 'node_modules/a'), { recursive: true });
      writeFileSync(join(dir, 'node_modules/.package-lock.json'), JSON.stringify({ packages: opts.installed }));
    }
  };

  it('is missing on a fresh clone', () => {
    setup();
    expect(installState(dir).state).toBe('missing');
  });

  it('is ok when the installed versions match (optional packages for other platforms may be absent)', () => {
    setup({ installed: { 'node_modules/a': { version: '1.0.0' } } });
    expect(installState(dir)).toEqual({ state: 'ok' });
  });

  it('is stale when an installed version differs from the lock file', () => {
    setup({ installed: { 'node_modules/a': { version: '0.9.0' } } });
    expect(installState(dir)).toMatchObject({ state: 'stale', reason: 'a is 0.9.0, the lock file wants 1.0.0' });
  });

  it('is stale when package.json asks for something the lock file does not have', () => {
    setup({ installed: { 'node_modules/a': { version: '1.0.0' } }, wants: { a: '1.0.0', b: '2.0.0' } });
    expect(installState(dir)).toMatchObject({ state: 'stale' });
  });
});
