/**
 * What each process of a benchmark's stack spent: CPU time (user + system, from
 * /proc/<pid>/stat) between two readings, and its peak resident memory (VmHWM). Linux only;
 * elsewhere every figure is null. The per-process CPU tells where the time of a round trip
 * goes when no single process is saturated (the machine's cores are shared by all of them).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sql } from '@realtoros/db';
import type { Stack } from '@realtoros/testing';

const TICKS_PER_S = 100; // USER_HZ on Linux

export type ProcessUsage = { name: string; cpuMs: number | null; peakRssMb: number | null };

function cpuTicks(pid: number): number | null {
  try {
    // Fields after the command (which may hold spaces) start after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch {
    return null;
  }
}

function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The stack's service processes, its own nats-server, and the Postgres backends serving its
 * database (grouped as `postgres`; read them once the stack has connected), by name → pids.
 */
export async function stackPids(stack: Stack): Promise<Map<string, number[]>> {
  const pids = new Map<string, number[]>();
  for (const [name, s] of stack.services) if (s.proc.pid) pids.set(name, [s.proc.pid]);
  const port = new URL(stack.nats.url).port;
  try {
    const found = execFileSync('pgrep', ['-f', `nats-server .*-p ${port} `], { encoding: 'utf8' })
      .trim()
      .split('\n')[0];
    if (found) pids.set('nats-server', [Number(found)]);
  } catch {
    // no pgrep, or the server is not ours (a shared one): left out
  }
  const name = new URL(stack.database.url).pathname.slice(1);
  const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = ${name}`.execute(stack.database.db);
  if (rows.length > 0)
    pids.set(
      'postgres',
      rows.map((r) => r.pid),
    );
  return pids;
}

/** Starts counting now; `read()` gives each process's CPU since then and its peak RSS so far. */
export function measureProcesses(pids: Map<string, number[]>) {
  // Per pid, so a Postgres backend that closed meanwhile (the pool's idle timeout) drops out
  // of both readings instead of voiding the group: its share is missing, a floor.
  const start = new Map([...pids.values()].flat().map((pid) => [pid, cpuTicks(pid)]));
  const since = (list: number[]) => {
    let sum = 0;
    let any = false;
    for (const pid of list) {
      const before = start.get(pid);
      const now = cpuTicks(pid);
      if (before == null || now == null) continue;
      sum += now - before;
      any = true;
    }
    return any ? sum : null;
  };
  return {
    read(): ProcessUsage[] {
      return [...pids].map(([name, list]) => {
        const ticks = since(list);
        const rss = list.map(peakRssMb).filter((r): r is number => r !== null);
        return {
          name,
          cpuMs: ticks === null ? null : (ticks * 1000) / TICKS_PER_S,
          // Several backends: the largest one (they share their buffers).
          peakRssMb: rss.length > 0 ? Math.max(...rss) : null,
        };
      });
    },
  };
}

/** One line per process: CPU per unit of work (e.g. per client) and peak RSS. */
export function formatUsage(usage: ProcessUsage[], units: number, unit: string): string {
  return usage
    .map(
      (u) =>
        `  ${u.name.padEnd(12)} ${u.cpuMs == null ? '   ?' : (u.cpuMs / units).toFixed(2).padStart(6)} ms CPU/${unit} · peak RSS ${u.peakRssMb == null ? '?' : u.peakRssMb.toFixed(0)} MB`,
    )
    .join('\n');
}
