import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, tcpAnswers, waitFor } from './ports.ts';

export type TestNats = {
  url: string;
  /** Stops the server (SIGTERM, or SIGKILL with `hard`); the store stays for `start`. */
  stop(opts?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port and store (to test NATS restarts). */
  start(): Promise<void>;
  /** Stops it for good and removes its store. */
  dispose(): Promise<void>;
  /** True when this helper owns the server (own process or container), so it can restart it. */
  owned: boolean;
};

const CANDIDATES = [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/**
 * A real NATS JetStream server for one test suite: its own `nats-server` on a free port
 * with a temp store when the binary is installed; else a testcontainer when a Docker engine
 * answers; else the server at NATS_URL (shared; not restartable).
 */
export async function startNats(): Promise<TestNats> {
  const bin = CANDIDATES.find((p) => p && existsSync(p));
  if (bin) return startLocal(bin);
  const container = await tryContainer();
  if (container) return container;
  const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  return { url, owned: false, stop: async () => {}, start: async () => {}, dispose: async () => {} };
}

async function startLocal(bin: string): Promise<TestNats> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'realtoros-nats-'));
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
    await waitFor(() => tcpAnswers('127.0.0.1', port), { timeoutMs: 10_000, what: `nats-server on ${port}` });
  };
  const stop = async (opts: { hard?: boolean } = {}) => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(opts.hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    owned: true,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(store, { recursive: true, force: true });
    },
  };
}

async function tryContainer(): Promise<TestNats | null> {
  try {
    const { GenericContainer } = await import('testcontainers');
    const c = await new GenericContainer('nats:2.10-alpine').withCommand(['-js']).withExposedPorts(4222).start();
    const url = `nats://${c.getHost()}:${c.getMappedPort(4222)}`;
    return { url, owned: true, stop: async () => void (await c.stop()), start: async () => {}, dispose: async () => void (await c.stop()) };
  } catch {
    return null;
  }
}
