/**
 * `npm run up`: brings RealtorOS up on this machine in one command (ARCHITECTURE.md §9).
 *
 * This file is the bootstrap: it only uses Node built-ins, so it runs on a fresh clone.
 * It checks the Node version, installs dependencies when node_modules is missing or does
 * not match package-lock.json, then hands over to ./up/main.ts (which may use them).
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installState } from './up/install.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REQUIRED_MAJOR = 24;

const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  process.stderr.write(
    `RealtorOS needs Node.js ${REQUIRED_MAJOR} (it runs TypeScript directly); this is Node ${process.versions.node}.\n` +
      `Get it with:  npm install -g node@${REQUIRED_MAJOR}   (as root, add --force if /usr/bin/node exists; then run \`hash -r\`)\n` +
      `or with nvm:  nvm install ${REQUIRED_MAJOR} && nvm use ${REQUIRED_MAJOR}\n`,
  );
  process.exit(1);
}

const deps = installState(ROOT);
if (deps.state !== 'ok') {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const npmRun = (args: string[]) => {
    process.stdout.write(`[up]        npm ${args.join(' ')}\n`);
    const r = spawnSync(npm, [...args, '--no-fund', '--no-audit'], { cwd: ROOT, stdio: 'inherit' });
    return r.status === 0 ? null : (r.error?.message ?? `exit code ${r.status}`);
  };
  process.stdout.write(`[up]        dependencies: ${deps.reason}\n`);
  // A fresh clone gets exactly the lock file (npm ci). npm ci refuses a lock file that
  // lacks some optional platform packages; npm install copes, so it is the fallback.
  let error = npmRun(deps.state === 'missing' ? ['ci'] : ['install']);
  if (error && deps.state === 'missing') {
    process.stdout.write(`[up]        npm ci failed (${error}); trying npm install\n`);
    error = npmRun(['install']);
  }
  if (error) {
    process.stderr.write(`[up]        installing dependencies failed (${error}); fix the error above and run \`npm run up\` again.\n`);
    process.exit(1);
  }
  const after = installState(ROOT);
  if (after.state !== 'ok') process.stdout.write(`[up]        note: node_modules still differs from the lock file: ${after.reason}\n`);
}

const { main } = await import('./up/main.ts');
process.exitCode = await main(ROOT);
