import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Compose, composeProblems, serviceFolders } from './compose-checks.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FILE = resolve(ROOT, 'docker-compose.yml');

/**
 * The compose model as Docker sees it (`docker compose config`, which needs no engine) when
 * the compose plugin is installed; else the YAML itself, with merge keys resolved.
 */
function loadCompose(): { how: string; compose: Compose } {
  const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (probe.status === 0) {
    const r = spawnSync('docker', ['compose', '-f', FILE, 'config', '--format', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, JWT_SECRET: process.env.JWT_SECRET ?? 'compose-config-check-secret-0123456789' },
    });
    if (r.status !== 0) throw new Error(`docker compose config failed: ${r.stderr}`);
    return { how: 'docker compose config', compose: JSON.parse(r.stdout) as Compose };
  }
  return { how: 'yaml', compose: parse(readFileSync(FILE, 'utf8'), { merge: true }) as Compose };
}

describe('docker-compose.yml', () => {
  const { how, compose } = loadCompose();

  it(`runs every service, the web app, a one-shot migration, NATS with JetStream and Postgres on a volume (read via ${how})`, () => {
    expect(composeProblems(compose, ROOT)).toEqual([]);
  });

  it('has a compose service for every folder in services/', () => {
    const names = Object.keys(compose.services ?? {});
    for (const folder of serviceFolders(ROOT)) expect(names).toContain(folder);
  });

  it('catches a broken file (the checks can fail)', () => {
    const broken = structuredClone(compose);
    const services = broken.services ?? {};
    delete services.crm;
    if (services.nats) services.nats.command = ['-sd', '/data'];
    if (services.postgres) services.postgres.volumes = [];
    if (services.gateway) services.gateway.command = ['node', 'services/gateway/src/nope.ts'];
    const problems = composeProblems(broken, ROOT);
    expect(problems).toContain('services/crm has no compose service');
    expect(problems).toContain('nats: JetStream is not enabled (-js)');
    expect(problems).toContain('postgres: /var/lib/postgresql/data is not on a named volume');
    expect(problems).toContain('gateway: command runs services/gateway/src/nope.ts, which does not exist');
  });
});
