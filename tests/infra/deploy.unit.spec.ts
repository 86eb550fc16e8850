import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { serviceFolders } from './compose-checks.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const K8S = join(ROOT, 'deploy/k8s');

type Manifest = {
  kind?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: { name: string; command?: string[]; args?: string[] }[] } };
  };
};

const manifests: Manifest[] = readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml') && f !== 'secret.example.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(K8S, f), 'utf8')).map((d) => d.toJS() as Manifest));
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);

describe('deploy/', () => {
  it('has a Deployment for every service folder and the web app, each running a file that exists', () => {
    const deployments = new Map(byKind('Deployment').map((d) => [d.metadata?.name, d]));
    for (const name of [...serviceFolders(ROOT), 'web']) {
      const d = deployments.get(name);
      expect(d, `Deployment ${name}`).toBeDefined();
      const cmd = d?.spec?.template?.spec?.containers?.[0]?.command ?? [];
      expect(cmd[0]).toBe('node');
      const file = cmd[1] ?? '';
      expect(file.startsWith('web/build/') || existsSync(join(ROOT, file)), `${name} runs ${file}`).toBe(true);
    }
  });

  it('exposes gateway and web through Services', () => {
    const services = byKind('Service').map((s) => s.metadata?.name);
    expect(services).toEqual(expect.arrayContaining(['gateway', 'web', 'nats']));
  });

  it('runs NATS as 3 JetStream nodes and creates streams with 3 replicas', () => {
    const nats = byKind('StatefulSet').find((s) => s.metadata?.name === 'nats');
    expect(nats?.spec?.replicas).toBe(3);
    const config = byKind('ConfigMap').find((c) => c.metadata?.name === 'realtoros-config');
    expect(config?.data?.NATS_STREAM_REPLICAS).toBe('3');
    const conf = readFileSync(join(ROOT, 'deploy/nats/cluster.conf'), 'utf8');
    expect(conf).toMatch(/^jetstream\s*\{/m);
    expect(conf).toMatch(/^cluster\s*\{/m);
    expect(conf.match(/nats-route:\/\/\S+:6222/g)).toHaveLength(3);
  });

  it('applies every manifest through the kustomization (except the Secret example)', () => {
    const k = parse(readFileSync(join(ROOT, 'deploy/kustomization.yaml'), 'utf8')) as { resources: string[] };
    const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'secret.example.yaml');
    expect([...k.resources].sort()).toEqual(files.map((f) => `k8s/${f}`).sort());
  });
});

describe('.env.example', () => {
  // ARCHITECTURE.md §8, plus what `npm run up` passes to the web app.
  const SECTION_8 = [
    'NATS_URL',
    'DATABASE_URL',
    'GATEWAY_PORT',
    'WEB_PORT',
    'PUBLIC_BASE_URL',
    'JWT_SECRET',
    'LOG_LEVEL',
    'FOLLOWUP_SCHEDULE',
    'AI_PROVIDER',
    'OPENAI_API_KEY',
    'OPENAI_BASE_URL',
    'OPENAI_MODEL',
    'EMAIL_PROVIDER',
    'SENDGRID_API_KEY',
    'SENDGRID_BASE_URL',
    'SENDGRID_FROM_EMAIL',
    'SENDGRID_FROM_NAME',
    'SENDGRID_WEBHOOK_PUBLIC_KEY',
    'OUTBOX_DIR',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'GATEWAY_URL',
  ];
  const lines = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');

  it('lists every variable with a description line above it', () => {
    for (const name of SECTION_8) {
      const i = lines.findIndex((l) => l.startsWith(`# ${name}=`) || l.startsWith(`${name}=`));
      expect(i, `${name} is listed`).toBeGreaterThan(0);
      let j = i - 1;
      while (j > 0 && /^# [A-Z_]+=/.test(lines[j] ?? '')) j--; // grouped variables share one description
      expect(lines[j]?.startsWith('# ') && !/^# [A-Z_]+=/.test(lines[j] ?? ''), `${name} has a description`).toBe(true);
    }
  });

  it('marks the secrets as sensitive and sets none of them', () => {
    for (const name of ['JWT_SECRET', 'OPENAI_API_KEY', 'SENDGRID_API_KEY']) {
      const i = lines.findIndex((l) => l.startsWith(`# ${name}=`));
      expect(lines[i - 1], `${name} is marked sensitive`).toMatch(/\[sensitive\]/);
      expect(lines[i]).toBe(`# ${name}=`);
    }
  });
});
