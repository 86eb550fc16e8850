import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../../config/node-flags.ts';

export type ServiceProcess = {
  name: string;
  proc: ChildProcess;
  output: () => string;
  /** SIGTERM (graceful) or SIGKILL (crash); resolves when the process has exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
};

const ROOT = resolve(import.meta.dirname, '../../..');

/** Starts `services/<name>/src/main.ts` as its own Node process, as in production. */
export function startService(name: string, env: Record<string, string>): ServiceProcess {
  const proc = spawn(process.execPath, [...SERVICE_NODE_FLAGS, resolve(ROOT, `services/${name}/src/main.ts`)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-200_000);
    if (process.env.SERVICE_LOGS) process.stderr.write(`[${name}] ${b}`);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return {
    name,
    proc,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    },
  };
}
