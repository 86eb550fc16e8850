// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose interpolation, not JS templates
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, Type } from '@realtoros/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { type Compose, composeProblems, envOf, healthcheckUrl, isOneShot } from './compose-checks.ts';
import { envProblems, interpolate, type ProcessSchema, processSchemas, requiredVariables } from './config-requirements.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const K8S = join(ROOT, 'deploy/k8s');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;

let schemas: ProcessSchema[] = [];
beforeAll(async () => {
  schemas = await processSchemas(ROOT);
});
const schemaOf = (name: string) => {
  const s = schemas.find((p) => p.name === name);
  if (!s) throw new Error(`no schema for ${name}`);
  return s;
};

/** The environment a compose service's process sees: the image's ENV, then `environment` (interpolated). */
const IMAGE_ENV = Object.fromEntries(
  [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]*)=(\S+?)\s*(?:\\)?$/gm)].map((m) => [
    m[1],
    m[2],
  ]),
);
const composeEnv = (name: string): Record<string, string | undefined> => {
  const svc = compose.services?.[name] ?? {};
  const env: Record<string, string | undefined> = { ...IMAGE_ENV };
  for (const [k, v] of Object.entries(envOf(svc))) env[k] = interpolate(v);
  return env;
};

describe('configuration schemas (derived, not listed by hand)', () => {
  it('are found for every service and the web app; the known required secrets are among the required variables', () => {
    expect(schemas.map((s) => s.name).sort()).toEqual(['ai-agent', 'crm', 'gateway', 'mailer', 'projector', 'scheduler', 'web']);
    expect(requiredVariables(schemaOf('mailer').schema)).toContain('JWT_SECRET');
    expect(requiredVariables(schemaOf('gateway').schema)).toContain('JWT_SECRET');
    // The web app asks the gateway about every session (issue 13): it needs no secret.
    expect(requiredVariables(schemaOf('web').schema)).not.toContain('JWT_SECRET');
    // Optional or defaulted variables are not required.
    expect(requiredVariables(schemaOf('mailer').schema)).not.toContain('SENDGRID_API_KEY');
    expect(requiredVariables(schemaOf('mailer').schema)).not.toContain('OUTBOX_DIR');
  });

  it('interpolate follows compose: ${X:-d} → d, ${X:?m} → set, ${X} and null → unset', () => {
    expect(interpolate('${LOG_LEVEL:-info}')).toBe('info');
    expect(interpolate('${JWT_SECRET:?set it}')).toMatch(/.{16,}/);
    expect(interpolate('${NOPE}')).toBeUndefined();
    expect(interpolate(null)).toBeUndefined();
    expect(interpolate('postgres://postgres:${POSTGRES_PASSWORD:-realtoros}@postgres:5432/realtoros')).toBe(
      'postgres://postgres:realtoros@postgres:5432/realtoros',
    );
  });
});

describe('docker-compose.yml gives every process what its schema requires', () => {
  it('every service and the web app start with their compose environment (required variables present, values valid)', () => {
    const problems = schemas.flatMap((p) => envProblems(`compose ${p.name}`, p, composeEnv(p.name)));
    expect(problems).toEqual([]);
  });

  it('would catch the mailer without JWT_SECRET (the bug this test exists for)', () => {
    const env = composeEnv('mailer');
    delete env.JWT_SECRET;
    expect(envProblems('compose mailer', schemaOf('mailer'), env)).toContain(
      'compose mailer: JWT_SECRET is required by services/mailer/src/config.ts but not provided',
    );
  });

  it('would catch a new required variable added to a schema', () => {
    const grown: ProcessSchema = {
      ...schemaOf('crm'),
      schema: Type.Object({ ...schemaOf('crm').schema.properties, NEW_REQUIRED: Type.String({ description: 'x' }) }),
    };
    expect(envProblems('compose crm', grown, composeEnv('crm'))).toEqual([
      'compose crm: NEW_REQUIRED is required by services/crm/src/config.ts but not provided',
    ]);
  });

  it('every long-running service has a health check and every service a memory limit', () => {
    expect(composeProblems(compose, ROOT)).toEqual([]);
    const services = compose.services ?? {};
    expect(Object.keys(services).filter((n) => isOneShot(n, services))).toEqual(['migrate']);
    const broken = structuredClone(compose);
    if (broken.services?.crm) {
      delete broken.services.crm.healthcheck;
      delete broken.services.crm.mem_limit;
    }
    expect(composeProblems(broken, ROOT)).toEqual(expect.arrayContaining(['crm: no healthcheck', 'crm: no memory limit (mem_limit)']));
  });

  it('the health check of a service with HEALTH_PORT probes /readyz on that port', () => {
    for (const p of schemas.filter((s) => 'HEALTH_PORT' in s.schema.properties)) {
      const port = (loadPort(p, composeEnv(p.name)) as { HEALTH_PORT: number }).HEALTH_PORT;
      expect(healthcheckUrl(compose.services?.[p.name] ?? {}), p.name).toBe(`http://127.0.0.1:${port}/readyz`);
    }
    const gw = loadPort(schemaOf('gateway'), composeEnv('gateway')) as { GATEWAY_PORT: number };
    expect(healthcheckUrl(compose.services?.gateway ?? {})).toBe(`http://127.0.0.1:${gw.GATEWAY_PORT}/readyz`);
  });
});

const loadPort = (p: ProcessSchema, env: Record<string, string | undefined>) => loadConfig(p.schema, env as NodeJS.ProcessEnv);

type Container = {
  name: string;
  command?: string[];
  envFrom?: ({ configMapRef?: { name: string } } | { secretRef?: { name: string } })[];
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { limits?: { memory?: string } };
};
type Manifest = {
  kind?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } };
};
const docs = (file: string): Manifest[] => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Manifest);
const manifests = readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => docs(join(K8S, f)));
const sources: Record<string, Record<string, string>> = {};
for (const m of manifests) {
  if (m.kind === 'ConfigMap' && m.metadata?.name) sources[`configMap:${m.metadata.name}`] = m.data ?? {};
  // The Secret's keys come from secret.example.yaml (values there are placeholders).
  if (m.kind === 'Secret' && m.metadata?.name) sources[`secret:${m.metadata.name}`] = m.stringData ?? {};
}
const k8sEnv = (c: Container): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = { ...IMAGE_ENV };
  for (const from of c.envFrom ?? []) {
    const key =
      'configMapRef' in from
        ? `configMap:${from.configMapRef?.name}`
        : `secret:${(from as { secretRef?: { name: string } }).secretRef?.name}`;
    const src = sources[key];
    if (!src) throw new Error(`${c.name}: envFrom ${key} does not exist`);
    Object.assign(env, src);
  }
  for (const e of c.env ?? []) env[e.name] = e.value;
  return env;
};
const deployment = (name: string) => {
  const d = manifests.find((m) => m.kind === 'Deployment' && m.metadata?.name === name);
  const c = d?.spec?.template?.spec?.containers?.[0];
  if (!c) throw new Error(`no Deployment ${name}`);
  return c;
};

describe('deploy/k8s gives every process what its schema requires, probes and limits', () => {
  it('every Deployment container gets its required variables from the ConfigMap, the Secret or env', () => {
    const problems = schemas.flatMap((p) => envProblems(`k8s ${p.name}`, p, k8sEnv(deployment(p.name))));
    expect(problems).toEqual([]);
  });

  it('would catch a required variable the Secret does not carry', () => {
    const c = structuredClone(deployment('mailer'));
    c.envFrom = c.envFrom?.filter((f) => !('secretRef' in f));
    c.env = [{ name: 'DATABASE_URL', value: 'postgres://x@db/realtoros' }];
    expect(envProblems('k8s mailer', schemaOf('mailer'), k8sEnv(c))).toContain(
      'k8s mailer: JWT_SECRET is required by services/mailer/src/config.ts but not provided',
    );
  });

  it('every service has readiness (/readyz) and liveness (/healthz) probes on the port it serves them on, and a memory limit', () => {
    for (const p of schemas) {
      const c = deployment(p.name);
      expect(c.resources?.limits?.memory, `${p.name} memory limit`).toBeTruthy();
      if (p.name === 'web') continue; // SvelteKit: probed on /login (no health route of its own)
      const cfg = loadPort(p, k8sEnv(c)) as { HEALTH_PORT?: number; GATEWAY_PORT?: number };
      const port = cfg.HEALTH_PORT ?? cfg.GATEWAY_PORT;
      const portOf = (probe?: { httpGet?: { port: string | number } }) => {
        const ref = probe?.httpGet?.port;
        return typeof ref === 'number' ? ref : c.ports?.find((x) => x.name === ref)?.containerPort;
      };
      expect(c.readinessProbe?.httpGet?.path, `${p.name} readiness`).toBe('/readyz');
      expect(c.livenessProbe?.httpGet?.path, `${p.name} liveness`).toBe('/healthz');
      expect(portOf(c.readinessProbe), `${p.name} readiness port`).toBe(port);
      expect(portOf(c.livenessProbe), `${p.name} liveness port`).toBe(port);
    }
  });
});
