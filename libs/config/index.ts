import { existsSync } from 'node:fs';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export { SERVICE_NODE_FLAGS } from './node-flags.ts';

/** Thrown when the environment does not satisfy a service's configuration schema. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads `.env` from the working directory when present; real environment variables win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/**
 * Validates environment variables against a TypeBox object schema (keys are the variable
 * names). Applies defaults, converts strings to numbers/booleans, and fails with one line
 * naming the variable.
 */
export function loadConfig<T extends TObject>(schema: T, env: NodeJS.ProcessEnv = process.env): Static<T> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') picked[key] = raw;
  }
  const withDefaults = Value.Default(schema, Value.Convert(schema, picked));
  const first = Value.Errors(schema, withDefaults).First();
  if (first) {
    const name = first.path.replace(/^\//, '') || '(environment)';
    const got = picked[name];
    const description = (schema.properties[name] as { description?: string } | undefined)?.description;
    throw new ConfigError(
      `Invalid configuration: ${name} ${first.message.toLowerCase()}` +
        (got === undefined ? ' (not set)' : ` (got ${JSON.stringify(sensitive(name) ? '***' : got)})`) +
        (description ? ` — ${description}` : ''),
    );
  }
  return withDefaults as Static<T>;
}

const sensitive = (name: string) => /SECRET|KEY|PASSWORD|TOKEN/.test(name);

/** Prints a configuration error as one clear line and exits; rethrows anything else. */
export function loadConfigOrExit<T extends TObject>(schema: T, env: NodeJS.ProcessEnv = process.env): Static<T> {
  loadDotEnv();
  try {
    return loadConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/** Variables most services share (ARCHITECTURE.md §8). */
export const CommonConfig = {
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222', pattern: '^(nats|tls|ws|wss)://', description: 'NATS server URL(s), comma-separated' }),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/realtoros', pattern: '^postgres(ql)?://', description: 'PostgreSQL connection URL for the read models' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
};
export { Type };
