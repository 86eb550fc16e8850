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

const say = (msg: string) => process.stdout.write(`${'[up]'.padEnd(12)} ${msg}\n`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** Runs npm with the terminal attached; null when it succeeded, else why not. */
const npmRun = (args: string[]): string | null => {
  say(`npm ${args.join(' ')}`);
  const r = spawnSync(npm, [...args, '--no-fund', '--no-audit'], { cwd: ROOT, stdio: 'inherit' });
  return r.status === 0 ? null : (r.error?.message ?? `exit code ${r.status}`);
};

const deps = installState(ROOT);
if (deps.state !== 'ok') {
  say(`dependencies: ${deps.reason}`);
  let error: string | null = null;
  if (deps.state === 'missing') {
    // A fresh clone gets exactly the lock file (npm ci). npm ci refuses a lock file that
    // lacks optional packages for other platforms; npm install --no-save resolves the same
    // versions without rewriting it, so it is the fallback.
    say('npm ci');
    const ci = spawnSync(npm, ['ci', '--no-fund', '--no-audit'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (ci.status === 0) process.stdout.write(ci.stdout.split('\n').slice(-3).join('\n'));
    else {
      const why = `${ci.stdout ?? ''}${ci.stderr ?? ''}`
        .split('\n')
        .filter((l) => /^npm error (code|`npm ci`|Missing|\S)/.test(l) && !/^npm error (Usage|Options|aliases|Run|\[|npm ci$)/.test(l));
      say(`npm ci failed (${ci.error?.message ?? `exit code ${ci.status}`}):\n${why.slice(0, 12).join('\n')}`);
      say('falling back to npm install --no-save');
      error = npmRun(['install', '--no-save']);
    }
  } else {
    error = npmRun(['install']);
  }
  if (error) {
    say(`installing dependencies failed (${error}); fix the error above and run \`npm run up\` again.`);
    process.exit(1);
  }
  const after = installState(ROOT);
  if (after.state !== 'ok') say(`note: node_modules still differs from the lock file: ${after.reason}`);
}

const { main } = await import('./up/main.ts');
process.exitCode = await main(ROOT);
