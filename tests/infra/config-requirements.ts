import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '@realtoros/config';
import type { TObject } from '@sinclair/typebox';
import { serviceFolders } from './compose-checks.ts';

/**
 * What each process needs from its environment, read from the configuration schemas the
 * processes themselves validate at start (services/<name>/src/config.ts, web's
 * src/lib/server/config.ts; both built on libs/config). Deriving it keeps compose and the
 * Kubernetes manifests from drifting when a service gains a required variable.
 */
export type ProcessSchema = { name: string; file: string; schema: TObject };

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
const isConfigSchema = (v: unknown): v is TObject =>
  typeof v === 'object' &&
  v !== null &&
  (v as { type?: unknown }).type === 'object' &&
  typeof (v as { properties?: unknown }).properties === 'object' &&
  Object.keys((v as TObject).properties).length > 0 &&
  Object.keys((v as TObject).properties).every((k) => ENV_NAME.test(k));

/** Every exported environment schema of every service folder and of the web app. */
export async function processSchemas(root: string): Promise<ProcessSchema[]> {
  const files = [
    ...serviceFolders(root).map((name) => ({ name, file: `services/${name}/src/config.ts` })),
    { name: 'web', file: 'web/src/lib/server/config.ts' },
  ];
  const out: ProcessSchema[] = [];
  for (const { name, file } of files) {
    if (!existsSync(join(root, file))) throw new Error(`${name}: no configuration schema at ${file}`);
    const mod = (await import(pathToFileURL(join(root, file)).href)) as Record<string, unknown>;
    const schemas = Object.values(mod).filter(isConfigSchema);
    if (schemas.length !== 1) throw new Error(`${file}: expected one exported environment schema, found ${schemas.length}`);
    out.push({ name, file, schema: schemas[0] as TObject });
  }
  return out;
}

/** Variables the schema requires and gives no default: the deployment must provide them. */
export function requiredVariables(schema: TObject): string[] {
  return (schema.required ?? []).filter((k) => (schema.properties[k] as { default?: unknown }).default === undefined).sort();
}

/**
 * Compose interpolation as the `docker compose` CLI does it, for a shell that sets only
 * what the README asks for: `${X:-d}` → d, `${X:?msg}` → a stand-in value (compose refuses
 * to start without it, so it is set), `${X}` → unset; a `null` value (pass-through of an
 * unset shell variable) → unset.
 */
export function interpolate(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  let unset = false;
  const out = String(value).replace(/\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}/g, (_m, _name: string, op?: string, arg?: string) => {
    if (op === '-') return arg ?? '';
    if (op === '?') return 'provided-by-the-operator-0123456789';
    unset = true;
    return '';
  });
  return unset && out === '' ? undefined : out;
}

/** Problems of one process with `env`: required variables missing, or values its schema refuses. */
export function envProblems(where: string, p: ProcessSchema, env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  for (const v of requiredVariables(p.schema))
    if (env[v] === undefined || env[v] === '') problems.push(`${where}: ${v} is required by ${p.file} but not provided`);
  try {
    loadConfig(p.schema, env as NodeJS.ProcessEnv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const msg = err.message.replace(/^Invalid configuration: /, '');
    if (!problems.some((q) => q.includes(`: ${msg.split(' ')[0]} is required`))) problems.push(`${where}: ${msg}`);
  }
  return problems;
}
