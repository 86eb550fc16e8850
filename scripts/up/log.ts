/** Console output of `npm run up`: our own progress lines and the services' prefixed logs. */

const useColor = process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

const code = (open: number, close: number) => (s: string) => (useColor ? `\u001b[${open}m${s}\u001b[${close}m` : s);
export const c = {
  bold: code(1, 22),
  dim: code(2, 22),
  red: code(31, 39),
  green: code(32, 39),
  yellow: code(33, 39),
  blue: code(34, 39),
  magenta: code(35, 39),
  cyan: code(36, 39),
  gray: code(90, 39),
};

const PALETTE = [c.cyan, c.magenta, c.blue, c.yellow, c.green, code(96, 39), code(95, 39), code(94, 39)];

/** The prefix `[name]` padded to the widest name, in a colour fixed per name. */
export function prefixer(names: readonly string[]): (name: string) => string {
  const width = Math.max(4, ...names.map((n) => n.length)) + 2;
  return (name) => {
    const i = names.indexOf(name);
    const colour = i >= 0 ? PALETTE[i % PALETTE.length]! : c.gray;
    return colour(`[${name}]`.padEnd(width));
  };
}

const upPrefix = () => c.bold('[up]'.padEnd(12));
export const say = (msg: string) => process.stdout.write(`${upPrefix()} ${msg}\n`);
export const ok = (msg: string) => say(`${c.green('✓')} ${msg}`);
export const warn = (msg: string) => say(`${c.yellow('!')} ${msg}`);
export const fail = (msg: string) => process.stderr.write(`${upPrefix()} ${c.red('✗')} ${msg}\n`);

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'service', 'name', 'msg', 'v']);

/**
 * Turns one pino JSON line into `HH:MM:SS LEVEL message key=value …` (and an error's stack
 * on the following lines). Lines that aren't pino JSON come back unchanged.
 */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof rec.level !== 'number') return line;
  const level = LEVELS[rec.level] ?? String(rec.level);
  const time =
    typeof rec.time === 'string'
      ? rec.time.slice(11, 19)
      : typeof rec.time === 'number'
        ? new Date(rec.time).toISOString().slice(11, 19)
        : '';
  const colourLevel = rec.level >= 50 ? c.red : rec.level >= 40 ? c.yellow : rec.level >= 30 ? c.green : c.gray;
  const extras: string[] = [];
  let stack = '';
  for (const [k, v] of Object.entries(rec)) {
    if (HIDDEN.has(k)) continue;
    if ((k === 'err' || k === 'error') && v && typeof v === 'object' && 'message' in v) {
      const e = v as { message?: unknown; stack?: unknown; type?: unknown };
      extras.push(`${k}=${JSON.stringify(String(e.message))}`);
      if (typeof e.stack === 'string')
        stack = `\n${e.stack
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n')}`;
      continue;
    }
    extras.push(`${k}=${typeof v === 'string' ? (/\s|"/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
  }
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  return `${c.gray(time)} ${colourLevel(level.padEnd(5))} ${msg}${extras.length ? ` ${c.gray(extras.join(' '))}` : ''}${stack}`;
}

/** Splits a byte stream into lines and hands each complete one to `onLine`. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; flush(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString();
      for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
        onLine(rest.slice(0, nl).replace(/\r$/, ''));
        rest = rest.slice(nl + 1);
      }
    },
    flush() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

/** A boxed block of lines, for the "it's up" summary. */
export function box(lines: string[]): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strip ANSI colours to measure width
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const width = Math.max(...lines.map(visible)) + 2;
  const top = `┌${'─'.repeat(width)}┐`;
  const bottom = `└${'─'.repeat(width)}┘`;
  const body = lines.map((l) => `│ ${l}${' '.repeat(width - 1 - visible(l))}│`);
  return [top, ...body, bottom].join('\n');
}
