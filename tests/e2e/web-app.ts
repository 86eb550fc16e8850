import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '@realtoros/testing';

const WEB = resolve(import.meta.dirname, '../../web');

export type WebApp = { url: string; output: () => string; stop(): Promise<void> };

/**
 * The dashboard as production runs it: `vite build` (adapter-node) into a temporary
 * directory with this test's origin baked in, then `node build/index.js` against the
 * stack's database and gateway. Its own build dirs, so it can run beside `npm run up`.
 */
export async function startWebApp(env: { DATABASE_URL: string; JWT_SECRET?: string; GATEWAY_URL: string }): Promise<WebApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'realtoros-web-'));
  const buildEnv = {
    ...process.env,
    ORIGIN: url,
    WEB_PORT: String(port),
    WEB_BUILD_DIR: join(dir, 'build'),
    WEB_KIT_DIR: join(dir, 'kit'),
  };
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-100_000);
  };
  const build = spawn(process.execPath, [resolve(WEB, '../node_modules/vite/bin/vite.js'), 'build'], {
    cwd: WEB,
    env: buildEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  build.stdout?.on('data', keep);
  build.stderr?.on('data', keep);
  const code = await new Promise<number | null>((r) => build.once('exit', r));
  if (code !== 0) throw new Error(`web build failed (${code}):\n${out.slice(-4000)}`);
  // The build pointed the generated tsconfig at its own kit dir: point it back for editors and svelte-check.
  const sync = spawn(process.execPath, [resolve(WEB, '../node_modules/@sveltejs/kit/svelte-kit.js'), 'sync'], {
    cwd: WEB,
    stdio: 'ignore',
  });
  await new Promise((r) => sync.once('exit', r));

  const proc: ChildProcess = spawn(process.execPath, [join(dir, 'build/index.js')], {
    cwd: resolve(WEB, '..'),
    // BODY_SIZE_LIMIT as `npm run up` sets it (scripts/up/env.ts): a CSV import is up to 20 MB.
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', BODY_SIZE_LIMIT: '21M' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  await waitFor(async () => (await fetch(`${url}/login`)).ok, { timeoutMs: 20_000, what: `web app on ${url}\n${out.slice(-2000)}` });
  return {
    url,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
