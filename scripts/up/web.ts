import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineSplitter } from './log.ts';

const SKIP = new Set(['node_modules', 'build', '.svelte-kit', 'test-results', '.data']);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.isFile()) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export type WebBuildState = { state: 'absent' } | { state: 'ok' } | { state: 'build'; reason: string };

/**
 * Whether web/build is missing, older than any source of the web app or the libs it uses,
 * or was built for another origin (`stampFile` records the ORIGIN of the last build).
 */
export function webBuildState(root: string, stampFile: string, origin: string): WebBuildState {
  const web = join(root, 'web');
  if (!existsSync(join(web, 'package.json')) || !existsSync(join(web, 'src'))) return { state: 'absent' };
  const entry = join(web, 'build', 'index.js');
  if (!existsSync(entry)) return { state: 'build', reason: 'web/build does not exist' };
  const built = statSync(entry).mtimeMs;
  const sources = Math.max(newestMtime(web), newestMtime(join(root, 'libs')));
  if (sources > built) return { state: 'build', reason: 'sources changed since the last build' };
  let stamped: string | undefined;
  try {
    stamped = (JSON.parse(readFileSync(stampFile, 'utf8')) as { origin?: string }).origin;
  } catch {}
  if (stamped !== origin) return { state: 'build', reason: stamped ? `it was built for ${stamped}` : 'it was not built by npm run up' };
  return { state: 'ok' };
}

export function stampWebBuild(stampFile: string, origin: string): void {
  writeFileSync(stampFile, `${JSON.stringify({ origin, built_at: new Date().toISOString() })}\n`);
}

/** `npm run build -w @realtoros/web`, its output passed to `onLine`; `done` resolves with the exit code. */
export function buildWeb(root: string, env: Record<string, string>, onLine: (l: string) => void): { done: Promise<number>; stop(): void } {
  let stop = () => {};
  const done = new Promise<number>((resolve) => {
    const proc = spawn('npm', ['run', 'build', '-w', '@realtoros/web'], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = lineSplitter(onLine);
    const err = lineSplitter(onLine);
    proc.stdout.on('data', (b: Buffer) => out.push(b));
    proc.stderr.on('data', (b: Buffer) => err.push(b));
    stop = () => {
      try {
        if (proc.pid) process.kill(-proc.pid, 'SIGTERM');
      } catch {}
    };
    proc.once('error', () => resolve(127));
    proc.once('exit', (code) => {
      out.flush();
      err.flush();
      resolve(code ?? 1);
    });
  });
  return { done, stop: () => stop() };
}
