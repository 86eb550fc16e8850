// Progress output shared by the benchmarks: one rewritten line on a terminal, a line every
// 5 s otherwise (CI logs), and the figures' number format.

const tty = process.stdout.isTTY;
let lastLine = 0;

/** Shows how far a long step is; `force` prints a line even between the 5 s marks. */
export function progress(text: string, force = false): void {
  if (tty) process.stdout.write(`\r\x1b[2K  ${text}`);
  else if (force || Date.now() - lastLine > 5000) {
    process.stdout.write(`  ${text}\n`);
    lastLine = Date.now();
  }
}

/** Replaces the progress line with a finished step's figures. */
export function done(text: string): void {
  if (tty) process.stdout.write('\r\x1b[2K');
  console.log(`  ${text}`);
}

/** A count as people read it: 12,345. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
