import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { type Daemon, startDaemon, stopLeftover, tail } from './daemon.ts';
import { firstNatsServer, freePort, natsInfo, portIsFree, waitUntil } from './net.ts';

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

export type ProvidedNats = { url: string; description: string; stop(): Promise<void> };

export const NATS_INSTALL_HELP = `No NATS server: set NATS_URL to a NATS server with JetStream, or install nats-server:
    Debian/Ubuntu:  apt-get install -y nats-server
    macOS:          brew install nats-server
    anywhere:       download a release from https://github.com/nats-io/nats-server/releases
                    and put nats-server on your PATH (or set NATS_SERVER_BIN)`;

/** nats-server from NATS_SERVER_BIN, the PATH, or the usual install locations. */
export function findNatsServer(): string | null {
  const candidates = [
    process.env.NATS_SERVER_BIN,
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((d) => join(d, 'nats-server')),
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
    '/usr/bin/nats-server',
    '/opt/homebrew/bin/nats-server',
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {}
  }
  return null;
}

/**
 * NATS_URL when set (it must answer as a NATS server); else our own nats-server with
 * JetStream on 127.0.0.1, its store under `.data/nats` (beside the embedded Postgres, so
 * events and read models live and get wiped together); else, when no nats-server is
 * installed, a NATS server with JetStream already listening on 4222.
 */
export async function provideNats(dataDir: string, say: (msg: string) => void): Promise<ProvidedNats> {
  const external = process.env.NATS_URL;
  if (external) {
    const { host, port } = firstNatsServer(external);
    const info = await natsInfo(host, port);
    if (!info)
      throw new ProvisionError(
        `NATS_URL=${redact(external)}: no NATS server answers at ${host}:${port}. Start it, or unset NATS_URL to let \`npm run up\` run one.`,
      );
    if (info.jetstream === false || info.jetstream === undefined)
      say(`warning: the NATS server at ${host}:${port} does not announce JetStream; the services need it (nats-server -js)`);
    return { url: external, description: `NATS_URL ${redact(external)} (nats-server ${info.version ?? '?'})`, stop: async () => {} };
  }

  const bin = findNatsServer();
  if (bin) return startOwnNats(bin, dataDir, say);

  const info = await natsInfo('127.0.0.1', 4222);
  if (info?.jetstream) {
    return {
      url: 'nats://127.0.0.1:4222',
      description: `reusing the NATS server already listening on 127.0.0.1:4222 (nats-server ${info.version ?? '?'}, JetStream on; not started or stopped by us)`,
      stop: async () => {},
    };
  }
  throw new ProvisionError(
    info
      ? `A NATS server listens on 4222 but without JetStream, and no nats-server is installed.\n${NATS_INSTALL_HELP}`
      : NATS_INSTALL_HELP,
  );
}

async function startOwnNats(bin: string, dataDir: string, say: (msg: string) => void): Promise<ProvidedNats> {
  const store = resolve(dataDir, 'nats');
  mkdirSync(store, { recursive: true });
  const pidFile = join(store, 'nats-server.pid');
  const logFile = resolve(dataDir, 'nats-server.log');
  if (existsSync(pidFile)) {
    const stale = await stopLeftover(Number(readFileSync(pidFile, 'utf8').trim()), ['nats-server', store]);
    if (stale) say(`stopped a nats-server left running by an earlier run (pid ${stale})`);
  }
  const port = (await portIsFree(4222)) ? 4222 : await freePort();
  const daemon: Daemon = startDaemon({
    name: 'nats-server',
    command: bin,
    args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store, '-P', pidFile, '-n', 'realtoros-dev'],
    logFile,
  });
  const info = await waitUntil(() => natsInfo('127.0.0.1', port), {
    timeoutMs: 15_000,
    intervalMs: 100,
    abort: () => (daemon.hasExited() ? 'exited' : null),
  });
  if (!info) {
    await daemon.stop({ timeoutMs: 3000 });
    throw new ProvisionError(
      `nats-server did not start (${await Promise.race([daemon.exited, Promise.resolve('no answer within 15 s')])}); its log, ${logFile}:\n${tail(logFile)}`,
    );
  }
  if (!info.jetstream) say('warning: nats-server answered without JetStream');
  return {
    url: `nats://127.0.0.1:${port}`,
    description: `started nats-server ${info.version ?? versionOf(bin)} (JetStream, store ${store}${port === 4222 ? '' : `; port 4222 is taken, so ${port}`}; log ${logFile})`,
    stop: () => daemon.stop({ signal: 'SIGTERM', timeoutMs: 10_000 }),
  };
}

function versionOf(bin: string): string {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** A URL without its password, for printing. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/g, '//$1:***@');
}
