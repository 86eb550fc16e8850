/**
 * Started by `npm run up` with a pipe on its stdin. When that pipe closes — `up` has exited,
 * however it died (even SIGKILL) — it stops whatever `up` left running: the services in the
 * run file, then the nats-server and the embedded Postgres recognised by their pid files.
 * After a clean stop there is nothing left and it just exits.
 *
 *   node scripts/up/sentinel.ts <run-file> <nats-pid-file> <pg-data-dir>
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stopLeftover } from './daemon.ts';
import { stopLeftoverServices } from './processes.ts';

const [runFile, natsPidFile, pgDir] = process.argv.slice(2);
if (!runFile || !natsPidFile || !pgDir) {
  process.stderr.write('usage: sentinel.ts <run-file> <nats-pid-file> <pg-data-dir>\n');
  process.exit(2);
}

// A Ctrl-C in the terminal is for `up`, which stops everything in order; we only act once it is gone.
for (const sig of ['SIGINT', 'SIGHUP'] as const) process.on(sig, () => {});

const pidIn = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : 0);

let done = false;
process.stdin.resume();
process.stdin.on('data', () => {});
const cleanUp = async () => {
  if (done) return;
  done = true;
  await stopLeftoverServices(runFile);
  await stopLeftover(pidIn(natsPidFile), ['nats-server', dirname(natsPidFile)]);
  await stopLeftover(pidIn(join(pgDir, 'postmaster.pid')), ['postgres', pgDir], 'SIGINT');
  process.exit(0);
};
process.stdin.on('end', cleanUp);
process.stdin.on('close', cleanUp);
process.stdin.on('error', cleanUp);
