import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

/**
 * A background server we start and stop (nats-server, postgres): its own process group, so
 * a Ctrl-C in the terminal reaches only `up`, which stops the services first and the
 * servers last; output goes to a log file, not through us.
 */
export type Daemon = {
  name: string;
  proc: ChildProcess;
  /** Resolves with a description of how it ended. */
  exited: Promise<string>;
  hasExited(): boolean;
  /** Sends `signal`, waits up to `timeoutMs`, then sends `forceSignal`; resolves when gone. */
  stop(opts?: { signal?: NodeJS.Signals; timeoutMs?: number; forceSignal?: NodeJS.Signals }): Promise<void>;
};

export function startDaemon(opts: {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  cwd?: string;
}): Daemon {
  const fd = openSync(opts.logFile, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(opts.command, opts.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
    });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<string>((resolve) => {
    proc.once('error', (err) => {
      done = true;
      resolve(`could not start: ${err.message}`);
    });
    proc.once('exit', (code, signal) => {
      done = true;
      resolve(signal ? `killed by ${signal}` : `exited with code ${code}`);
    });
  });
  return {
    name: opts.name,
    proc,
    exited,
    hasExited: () => done,
    async stop({ signal = 'SIGTERM', timeoutMs = 10_000, forceSignal = 'SIGKILL' } = {}) {
      if (done) return;
      proc.kill(signal);
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
      if ((await Promise.race([exited, timer])) === 'timeout' && !done) {
        proc.kill(forceSignal);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      }
    },
  };
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(path: string, lines = 15): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  return text
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((l) => `    ${l}`)
    .join('\n');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a running process, or null. */
export function commandLine(pid: number): string | null {
  try {
    if (existsSync(`/proc/${pid}/cmdline`)) return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Stops a server an earlier `npm run up` left running (it was killed before it could clean
 * up), recognised by its pid and a command line containing every one of `marks`.
 * Returns the pid it stopped, or null.
 */
export async function stopLeftover(pid: number, marks: string[], signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return null;
  const cmd = commandLine(pid);
  if (!cmd || !marks.every((m) => cmd.includes(m))) return null;
  process.kill(pid, signal);
  for (let i = 0; i < 150 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return pid;
}
