import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { portIsFree } from './net.ts';

/** Reads `.env` at the repository root when present; variables already set win (as in the services). */
export function loadDotEnv(root: string): boolean {
  const path = join(root, '.env');
  if (!existsSync(path)) return false;
  process.loadEnvFile(path);
  return true;
}

/** JWT_SECRET from the environment, else one generated once and kept in `.data/jwt-secret`. */
export function jwtSecret(dataDir: string): { value: string; source: string } {
  const fromEnv = process.env.JWT_SECRET;
  if (fromEnv) return { value: fromEnv, source: 'JWT_SECRET' };
  const path = join(dataDir, 'jwt-secret');
  if (existsSync(path)) {
    const kept = readFileSync(path, 'utf8').trim();
    if (kept.length >= 32) return { value: kept, source: path };
  }
  const value = randomBytes(48).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return { value, source: `${path} (new)` };
}

export class PortError extends Error {
  override name = 'PortError';
}

/**
 * The port for `envVar`: the one set in the environment (which must be free), else the
 * default, else the next free one after it.
 */
export async function choosePort(envVar: string, fallback: number): Promise<{ port: number; note?: string }> {
  const raw = process.env[envVar];
  if (raw) {
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PortError(`${envVar}=${raw} is not a port number`);
    if (!(await portIsFree(port)))
      throw new PortError(`${envVar}=${port} is already in use by another program; stop it or choose another port`);
    return { port };
  }
  for (let port = fallback; port < fallback + 50; port++) {
    if (await portIsFree(port))
      return port === fallback ? { port } : { port, note: `port ${fallback} is busy, using ${port} for ${envVar}` };
  }
  throw new PortError(`ports ${fallback}–${fallback + 49} are all busy; set ${envVar}`);
}

export type Stack = {
  natsUrl: string;
  databaseUrl: string;
  gatewayPort: number;
  webPort: number;
  jwtSecret: string;
  outboxDir: string;
};

/** The environment every child gets (ARCHITECTURE.md §8), on top of ours (which includes `.env`). */
export function serviceEnv(s: Stack): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const gatewayUrl = `http://127.0.0.1:${s.gatewayPort}`;
  return {
    ...base,
    NATS_URL: s.natsUrl,
    DATABASE_URL: s.databaseUrl,
    GATEWAY_PORT: String(s.gatewayPort),
    WEB_PORT: String(s.webPort),
    PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL || `http://localhost:${s.gatewayPort}`,
    JWT_SECRET: s.jwtSecret,
    OUTBOX_DIR: process.env.OUTBOX_DIR || s.outboxDir,
    GATEWAY_URL: process.env.GATEWAY_URL || gatewayUrl,
    LOG_LEVEL: process.env.LOG_LEVEL || 'info',
  };
}

/** Extra variables for the SvelteKit adapter-node server. */
export function webEnv(s: Stack, env: Record<string, string>): Record<string, string> {
  return {
    ...env,
    PORT: String(s.webPort),
    HOST: process.env.HOST || '0.0.0.0',
    ORIGIN: process.env.ORIGIN || `http://localhost:${s.webPort}`,
    // adapter-node waits this many seconds for open connections (SSE) on SIGTERM.
    SHUTDOWN_TIMEOUT: process.env.SHUTDOWN_TIMEOUT || '3',
    // adapter-node refuses request bodies over this (default 512K): a CSV import is up to 20 MB, plus the form around it.
    BODY_SIZE_LIMIT: process.env.BODY_SIZE_LIMIT || '21M',
  };
}
