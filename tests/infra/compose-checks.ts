import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a compose file (either `docker compose config --format json` or the raw YAML) we check. */
export type ComposeService = {
  image?: string;
  build?: unknown;
  command?: string[] | string | null;
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: Record<string, { condition?: string }> | string[];
  environment?: Record<string, string | null> | string[];
  ports?: (string | number | { target?: number | string; published?: number | string })[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  mem_limit?: string | number;
  deploy?: { resources?: { limits?: { memory?: string | number } } };
  restart?: string;
};
export type Compose = { services?: Record<string, ComposeService>; volumes?: Record<string, unknown> | null };

const APP_IMAGE = /realtoros/i;
const isApp = (s: ComposeService) => s.build !== undefined || APP_IMAGE.test(s.image ?? '');
const commandOf = (s: ComposeService): string[] =>
  Array.isArray(s.command) ? s.command : typeof s.command === 'string' ? s.command.split(/\s+/).filter(Boolean) : [];
export const envOf = (s: ComposeService): Record<string, string | null> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((e) => [e.split('=')[0] ?? '', e.includes('=') ? e.slice(e.indexOf('=') + 1) : null]))
    : (s.environment ?? {});
const dependsOf = (s: ComposeService): Record<string, string | undefined> =>
  Array.isArray(s.depends_on)
    ? Object.fromEntries(s.depends_on.map((d) => [d, undefined]))
    : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v?.condition]));
const volumesOf = (s: ComposeService) =>
  (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target ?? '', named: v.type === 'volume' };
    const [source = '', target = ''] = v.split(':');
    return { source, target, named: !source.startsWith('.') && !source.startsWith('/') };
  });
const containerPorts = (s: ComposeService) =>
  (s.ports ?? []).map((p) => (typeof p === 'object' ? String(p.target) : String(p).split(':').at(-1)?.split('/')[0]));

/** A service others wait for with `service_completed_successfully` and that is never restarted. */
export function isOneShot(name: string, services: Record<string, ComposeService>): boolean {
  const svc = services[name];
  if (!svc || String(svc.restart ?? 'no') !== 'no') return false;
  return Object.values(services).some((s) => dependsOf(s)[name] === 'service_completed_successfully');
}

/** The URL a compose healthcheck probes, when it is an HTTP probe (`fetch('…')` or wget). */
export function healthcheckUrl(svc: ComposeService): string | undefined {
  const test = [svc.healthcheck?.test ?? []].flat().join(' ');
  return /https?:\/\/[^'"\s)]+/.exec(test)?.[0];
}

/** Service folders (services/<name>/package.json). */
export function serviceFolders(root: string): string[] {
  return readdirSync(join(root, 'services'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, 'services', d.name, 'package.json')))
    .map((d) => d.name)
    .sort();
}

/** Everything wrong with `compose` for the repository at `root`; empty when it is right. */
export function composeProblems(compose: Compose, root: string): string[] {
  const problems: string[] = [];
  const services = compose.services ?? {};
  const dockerfile = existsSync(join(root, 'Dockerfile')) ? readFileSync(join(root, 'Dockerfile'), 'utf8') : '';

  for (const name of serviceFolders(root)) if (!services[name]) problems.push(`services/${name} has no compose service`);
  for (const name of ['web', 'migrate', 'nats', 'postgres']) if (!services[name]) problems.push(`no compose service "${name}"`);

  for (const [name, svc] of Object.entries(services)) {
    if (!isApp(svc)) continue;
    const cmd = commandOf(svc);
    if (cmd[0] !== 'node' || !cmd[1]) {
      problems.push(`${name}: command should be ["node", "<file>", …], got ${JSON.stringify(svc.command)}`);
      continue;
    }
    const file = cmd[1];
    const builtInImage = file.startsWith('web/build/') && /COPY --from=\S+ \/app\/web\/build web\/build/.test(dockerfile);
    if (!builtInImage && !existsSync(join(root, file))) problems.push(`${name}: command runs ${file}, which does not exist`);
    if (builtInImage && !/"build":\s*"vite build"/.test(readFileSync(join(root, 'web/package.json'), 'utf8')))
      problems.push(`${name}: ${file} is built in the image, but web/package.json has no build script`);
    const env = envOf(svc);
    if (!env.NATS_URL?.includes('nats:4222')) problems.push(`${name}: NATS_URL should point at the nats service, got ${env.NATS_URL}`);
    if (!env.DATABASE_URL?.includes('@postgres:5432/'))
      problems.push(`${name}: DATABASE_URL should point at the postgres service, got ${env.DATABASE_URL}`);
    const deps = dependsOf(svc);
    if (deps.postgres !== 'service_healthy') problems.push(`${name}: should depend on postgres being healthy`);
    if (name !== 'migrate') {
      if (deps.nats !== 'service_healthy') problems.push(`${name}: should depend on nats being healthy`);
      if (deps.migrate !== 'service_completed_successfully') problems.push(`${name}: should wait for migrate to complete`);
    }
  }

  const migrate = services.migrate;
  if (migrate && !commandOf(migrate).join(' ').endsWith('services/projector/src/ops/cli.ts migrate'))
    problems.push('migrate: should run the ops CLI migrate');

  const nats = services.nats;
  if (nats) {
    const cmd = commandOf(nats);
    if (!cmd.includes('-js') && !cmd.includes('--jetstream')) problems.push('nats: JetStream is not enabled (-js)');
    const sdIndex = Math.max(cmd.indexOf('-sd'), cmd.indexOf('--store_dir'));
    const store = sdIndex >= 0 ? cmd[sdIndex + 1] : undefined;
    if (!store) problems.push('nats: no JetStream store directory (-sd)');
    else if (!volumesOf(nats).some((v) => v.target === store && v.named))
      problems.push(`nats: the store ${store} is not on a named volume`);
    if (!nats.healthcheck) problems.push('nats: no healthcheck (the services wait for it)');
  }

  const pg = services.postgres;
  if (pg) {
    if (!/^postgres:16/.test(pg.image ?? '')) problems.push(`postgres: image should be postgres:16…, got ${pg.image}`);
    const data = volumesOf(pg).find((v) => v.target === '/var/lib/postgresql/data');
    if (!data?.named) problems.push('postgres: /var/lib/postgresql/data is not on a named volume');
    else if (!compose.volumes || !(data.source in compose.volumes)) problems.push(`postgres: volume ${data.source} is not declared`);
    if (!pg.healthcheck) problems.push('postgres: no healthcheck');
  }

  for (const [name, svc] of Object.entries(services)) {
    if (!svc.mem_limit && !svc.deploy?.resources?.limits?.memory) problems.push(`${name}: no memory limit (mem_limit)`);
    // A one-shot (migrate) is waited for by completion, not health.
    if (isOneShot(name, services)) continue;
    const test = svc.healthcheck?.disable ? '' : [svc.healthcheck?.test ?? []].flat().join(' ');
    if (!test) problems.push(`${name}: no healthcheck`);
  }

  if (services.gateway && !containerPorts(services.gateway).includes('8000')) problems.push('gateway: port 8000 is not published');
  if (services.web && !containerPorts(services.web).includes('3000')) problems.push('web: port 3000 is not published');
  if (!/^FROM node:24-slim|ARG NODE_IMAGE=node:24-slim/m.test(dockerfile)) problems.push('Dockerfile: not based on node:24-slim');
  return problems;
}
