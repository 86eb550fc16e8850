import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { commandLine, isAlive } from './daemon.ts';
import { c, formatLogLine, lineSplitter } from './log.ts';

export type ServiceSpec = {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
};

export type ServiceState = 'running' | 'restarting' | 'gave-up' | 'stopped';

export type Service = {
  spec: ServiceSpec;
  state(): ServiceState;
  pid(): number | undefined;
  /** Resolves once the service has given up or been stopped. */
  ended: Promise<void>;
};

/** Exit code a service uses for invalid configuration (EX_CONFIG): restarting won't help. */
const EX_CONFIG = 78;
/** A run shorter than this counts as a failed start. */
const QUICK_MS = 10_000;
const MAX_QUICK_FAILURES = 3;

type Entry = { name: string; pid: number; marker: string };

/**
 * Runs each service as its own Node process in its own process group, prefixes and
 * pretty-prints its log lines, restarts it when it crashes (with backoff; not when it
 * failed on its configuration or keeps failing at start), and stops every one of them —
 * and anything they started — on `stopAll`. The pids are kept in a run file, so a later
 * `npm run up` can clean up after one that was killed with SIGKILL.
 */
export function createSupervisor(opts: { runFile: string; prefix: (name: string) => string; raw?: boolean; write?: (s: string) => void }) {
  const write = opts.write ?? ((s: string) => void process.stdout.write(s));
  const services = new Map<string, { svc: Service; proc: ChildProcess | null; stopping: boolean; timer: NodeJS.Timeout | null }>();
  const marker = (spec: ServiceSpec) => spec.args.at(-1) ?? spec.command;

  const saveRunFile = () => {
    const entries: Entry[] = [];
    for (const s of services.values()) {
      if (s.proc?.pid && s.proc.exitCode === null && s.proc.signalCode === null)
        entries.push({ name: s.svc.spec.name, pid: s.proc.pid, marker: marker(s.svc.spec) });
    }
    mkdirSync(dirname(opts.runFile), { recursive: true });
    writeFileSync(opts.runFile, `${JSON.stringify({ up: process.pid, children: entries }, null, 2)}\n`);
  };

  const line = (name: string, text: string) => write(`${opts.prefix(name)} ${text}\n`);

  function start(spec: ServiceSpec): Service {
    let state: ServiceState = 'running';
    let quickFailures = 0;
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => (resolveEnded = r));
    const slot = {
      svc: undefined as unknown as Service,
      proc: null as ChildProcess | null,
      stopping: false,
      timer: null as NodeJS.Timeout | null,
    };
    const svc: Service = { spec, state: () => state, pid: () => slot.proc?.pid, ended };
    slot.svc = svc;
    services.set(spec.name, slot);

    const launch = () => {
      const startedAt = Date.now();
      const proc = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      slot.proc = proc;
      state = 'running';
      const out = lineSplitter((l) => line(spec.name, opts.raw ? l : formatLogLine(l)));
      const err = lineSplitter((l) => line(spec.name, opts.raw ? l : formatLogLine(l)));
      proc.stdout?.on('data', (b: Buffer) => out.push(b));
      proc.stderr?.on('data', (b: Buffer) => err.push(b));
      proc.once('error', (e) => line(spec.name, c.red(`could not start: ${e.message}`)));
      proc.once('exit', (code, signal) => {
        out.flush();
        err.flush();
        killGroup(proc.pid, 'SIGKILL'); // anything it started and left behind
        saveRunFile();
        if (slot.stopping) {
          state = 'stopped';
          resolveEnded();
          return;
        }
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const ranMs = Date.now() - startedAt;
        if (code === EX_CONFIG) {
          state = 'gave-up';
          line(spec.name, c.red(`${how}: invalid configuration (see the line above). Not restarting; the rest keeps running.`));
          resolveEnded();
          return;
        }
        quickFailures = ranMs < QUICK_MS ? quickFailures + 1 : 0;
        if (quickFailures >= MAX_QUICK_FAILURES) {
          state = 'gave-up';
          line(spec.name, c.red(`${how} ${quickFailures} times within seconds of starting. Not restarting; the rest keeps running.`));
          resolveEnded();
          return;
        }
        const delay = Math.min(30_000, 1000 * 2 ** Math.max(0, quickFailures - 1));
        state = 'restarting';
        line(spec.name, c.yellow(`${how}; restarting in ${delay / 1000} s`));
        slot.timer = setTimeout(() => {
          slot.timer = null;
          if (!slot.stopping) launch();
        }, delay);
      });
      saveRunFile();
    };
    launch();
    return svc;
  }

  /** SIGTERM to every service's process group; SIGKILL to what is still there after `timeoutMs`. */
  async function stopAll(timeoutMs = 12_000): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const slot of services.values()) {
      slot.stopping = true;
      if (slot.timer) clearTimeout(slot.timer);
      const proc = slot.proc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          killGroup(proc.pid, 'SIGTERM');
          setTimeout(() => {
            if (proc.exitCode === null && proc.signalCode === null) {
              line(slot.svc.spec.name, c.yellow(`did not stop within ${timeoutMs / 1000} s; killing it`));
              killGroup(proc.pid, 'SIGKILL');
            }
          }, timeoutMs).unref();
        }),
      );
    }
    await Promise.all(waits);
    saveRunFile();
  }

  /** Last resort on exit (synchronous): SIGKILL every group still alive. */
  function killAllNow(): void {
    for (const slot of services.values()) {
      slot.stopping = true;
      if (slot.proc?.pid) killGroup(slot.proc.pid, 'SIGKILL');
    }
  }

  return { start, stopAll, killAllNow, services: () => [...services.values()].map((s) => s.svc) };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid || pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {}
}

/**
 * When an earlier `npm run up` died without cleaning up (SIGKILL, a closed terminal), its
 * services may still run: stop them, recognised by pid and command line.
 */
export async function stopLeftoverServices(runFile: string): Promise<string[]> {
  if (!existsSync(runFile)) return [];
  let data: { up?: number; children?: Entry[] };
  try {
    data = JSON.parse(readFileSync(runFile, 'utf8')) as typeof data;
  } catch {
    return [];
  }
  const alive = (data.children ?? []).filter((e) => isAlive(e.pid) && commandLine(e.pid)?.includes(e.marker));
  for (const e of alive) killGroup(e.pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive.some((e) => isAlive(e.pid)); i++) await new Promise((r) => setTimeout(r, 100));
  for (const e of alive) killGroup(e.pid, 'SIGKILL');
  const stopped = alive.map((e) => `${e.name} (pid ${e.pid})`);
  return stopped;
}

/** The pid of another `npm run up` that is still running from this checkout, or null. */
export function otherUpRunning(runFile: string): number | null {
  if (!existsSync(runFile)) return null;
  try {
    const pid = (JSON.parse(readFileSync(runFile, 'utf8')) as { up?: number }).up;
    if (pid && pid !== process.pid && isAlive(pid) && commandLine(pid)?.includes('scripts/up.ts')) return pid;
  } catch {}
  return null;
}
