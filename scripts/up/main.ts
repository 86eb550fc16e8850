import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../../libs/config/node-flags.ts';
import { DEMO_LOGIN, seed } from '../seed.ts';
import { choosePort, jwtSecret, loadDotEnv, PortError, type Stack, serviceEnv, webEnv } from './env.ts';
import { box, c, fail, lineSplitter, ok, prefixer, say, warn } from './log.ts';
import { ProvisionError, provideNats, redact } from './nats.ts';
import { provideDatabase } from './postgres.ts';
import { createSupervisor, otherUpRunning, type Service, stopLeftoverServices } from './processes.ts';
import { buildWeb, stampWebBuild, webBuildState } from './web.ts';

/** The services of ARCHITECTURE.md §1, each `node services/<name>/src/main.ts`. */
export const SERVICES = ['crm', 'scheduler', 'ai-agent', 'mailer', 'projector', 'gateway'] as const;
const READY_TIMEOUT_MS = 180_000;

/** Runs the whole product until SIGINT/SIGTERM; returns the exit code. */
export async function main(root: string): Promise<number> {
  const dataDir = join(root, '.data');
  const runFile = join(dataDir, 'run', 'up.json');
  mkdirSync(dataDir, { recursive: true });
  const rel = (p: string) => relative(root, p) || '.';

  const other = otherUpRunning(runFile);
  if (other) {
    fail(
      `another \`npm run up\` is already running from this checkout (pid ${other}); stop it first (Ctrl-C in its terminal, or kill ${other})`,
    );
    return 1;
  }
  for (const s of await stopLeftoverServices(runFile)) warn(`stopped ${s}, left running by an earlier run that was killed`);
  startSentinel(root, runFile, dataDir);
  if (loadDotEnv(root)) say('read .env (variables already set in the environment win)');

  // Stop on SIGINT/SIGTERM/SIGHUP, in order: services, then NATS and Postgres. A Ctrl-C
  // under `npm run up` arrives twice (the terminal and npm both send it), so a forced stop
  // needs a third.
  const stopping = new AbortController();
  let signals = 0;
  const teardown: { name: string; run: () => Promise<void> }[] = [];
  const names = [...SERVICES, 'web', 'migrate'];
  const prefix = prefixer(names);
  const supervisor = createSupervisor({ runFile, prefix, raw: process.env.UP_RAW_LOGS === '1' });
  let webBuild: { stop(): void } | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      say(`${sig}: stopping everything…`);
      stopping.abort();
    } else if (signals >= 3) {
      fail('forced stop: killing every service now');
      supervisor.killAllNow();
      process.exit(1);
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  // Whatever happens, never leave a service behind (synchronous last resort).
  process.on('exit', () => supervisor.killAllNow());

  let code = 0;
  try {
    // NATS
    say('NATS…');
    const nats = await provideNats(dataDir, warn);
    teardown.push({ name: 'NATS', run: nats.stop });
    ok(`NATS: ${nats.description}`);
    if (stopping.signal.aborted) return 0;

    // Postgres
    say('PostgreSQL…');
    const db = await provideDatabase(dataDir, warn);
    teardown.push({ name: 'PostgreSQL', run: db.stop });
    ok(`PostgreSQL: ${db.description}`);
    if (stopping.signal.aborted) return 0;

    const gateway = await choosePort('GATEWAY_PORT', 8000);
    const web = await choosePort('WEB_PORT', 3000);
    for (const note of [gateway.note, web.note]) if (note) warn(note);
    const secret = jwtSecret(dataDir);
    const stack: Stack = {
      natsUrl: nats.url,
      databaseUrl: db.url,
      gatewayPort: gateway.port,
      webPort: web.port,
      jwtSecret: secret.value,
      outboxDir: join(dataDir, 'outbox'),
    };
    const env = serviceEnv(stack);
    ok(`JWT_SECRET from ${secret.source.startsWith(root) ? rel(secret.source) : secret.source}`);

    // Migrations
    const cli = join(root, 'services/projector/src/ops/cli.ts');
    if (existsSync(cli)) {
      say('migrating the read-model database…');
      const migrated = await run(process.execPath, [cli, 'migrate'], { cwd: root, env }, (l) =>
        process.stdout.write(`${prefix('migrate')} ${l}\n`),
      );
      if (migrated !== 0) {
        fail(`migration failed (exit code ${migrated}); see the lines above`);
        return 1;
      }
      ok('database migrated');
    } else {
      warn(`${rel(cli)} does not exist yet: not migrating (the projector migrates when it starts)`);
    }
    if (stopping.signal.aborted) return 0;

    // Services
    const running: Service[] = [];
    for (const name of SERVICES) {
      const entry = join(root, 'services', name, 'src', 'main.ts');
      if (!existsSync(entry)) {
        process.stdout.write(`${prefix(name)} ${c.yellow(`not started: ${rel(entry)} does not exist yet`)}\n`);
        continue;
      }
      running.push(supervisor.start({ name, command: process.execPath, args: [...SERVICE_NODE_FLAGS, entry], env, cwd: root }));
    }
    ok(`started ${running.length}/${SERVICES.length} services: ${running.map((s) => s.spec.name).join(', ') || 'none'}`);

    // Web app (built with the same environment it runs with: ORIGIN may be baked in)
    let webService: Service | null = null;
    const wenv = webEnv(stack, env);
    const stampFile = join(dataDir, 'web-build.json');
    const webState = webBuildState(root, stampFile, wenv.ORIGIN ?? '');
    if (webState.state === 'absent') {
      process.stdout.write(`${prefix('web')} ${c.yellow('not started: web/src does not exist yet')}\n`);
    } else {
      let built = true;
      if (webState.state === 'build') {
        say(`building the web app (${webState.reason})…`);
        const started = Date.now();
        const output: string[] = [];
        const b = buildWeb(root, wenv, (l) => void output.push(l));
        webBuild = b;
        const result = await Promise.race([b.done, abortPromise(stopping.signal)]);
        webBuild = null;
        if (stopping.signal.aborted) {
          b.stop();
          await b.done;
          return 0;
        }
        built = result === 0;
        if (built) {
          stampWebBuild(stampFile, wenv.ORIGIN ?? '');
          ok(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        } else {
          for (const l of output.slice(-40)) process.stdout.write(`${prefix('web')} ${l}\n`);
          fail(`the web app build failed (exit code ${result}); running without the dashboard`);
        }
      }
      if (built)
        webService = supervisor.start({
          name: 'web',
          command: process.execPath,
          args: [join(root, 'web/build/index.js')],
          env: wenv,
          cwd: root,
        });
    }

    // Ready?
    const gw = running.find((s) => s.spec.name === 'gateway');
    const api = `http://127.0.0.1:${gateway.port}`;
    let ready = false;
    if (!gw) {
      warn('no gateway: no API, so no demo data');
    } else {
      ready = await waitReady(`${api}/readyz`, gw, stopping.signal);
      if (stopping.signal.aborted) return 0;
    }
    let seeded = '';
    if (ready) {
      try {
        const r = await seed(api, (m) => ok(`seed: ${m}`), { natsUrl: nats.url });
        seeded = r.clientsCreated ? `${r.clientsCreated} demo clients` : `${r.clientsBefore} clients`;
      } catch (err) {
        fail(`seeding failed: ${(err as Error).message}`);
      }
    }

    const publicApi = `http://localhost:${gateway.port}`;
    const lines = [
      c.bold(ready ? 'RealtorOS is up' : 'RealtorOS is partly up (see the lines above)'),
      '',
      `Dashboard   ${webService ? c.cyan(`http://localhost:${web.port}`) : c.yellow('not running')}`,
      `API         ${gw ? c.cyan(`${publicApi}/api`) : c.yellow('not running')}`,
      `API docs    ${gw ? c.cyan(`${publicApi}/docs`) : c.yellow('not running')}`,
      `Demo login  ${seeded ? `${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}${c.dim(`  (${seeded})`)}` : c.yellow('not seeded')}`,
      '',
      c.dim(`NATS        ${redact(nats.url)}`),
      c.dim(`PostgreSQL  ${redact(db.url)}`),
      c.dim(`Emails      ${env.EMAIL_PROVIDER || (env.SENDGRID_API_KEY ? 'sendgrid' : `outbox: files in ${rel(env.OUTBOX_DIR ?? '')}`)}`),
      c.dim(`AI          ${env.AI_PROVIDER || (env.OPENAI_API_KEY ? 'openai' : 'template (offline; set OPENAI_API_KEY for OpenAI)')}`),
      '',
      'Ctrl-C stops everything.',
    ];
    process.stdout.write(`\n${box(lines)}\n\n`);

    // Run until a signal, or until nothing is left running.
    const all = [...running, ...(webService ? [webService] : [])];
    const allEnded = all.length ? Promise.all(all.map((s) => s.ended)) : new Promise<never>(() => {});
    const how = await Promise.race([abortPromise(stopping.signal).then(() => 'signal' as const), allEnded.then(() => 'ended' as const)]);
    if (how === 'ended') {
      fail('every service has stopped; shutting down');
      code = 1;
    }
  } catch (err) {
    if (err instanceof ProvisionError || err instanceof PortError) fail(err.message);
    else fail(`unexpected error: ${(err as Error).stack ?? String(err)}`);
    code = 1;
  } finally {
    webBuild?.stop();
    if (supervisor.services().length) {
      say('stopping the services…');
      await supervisor.stopAll();
    }
    for (const t of teardown.reverse()) {
      say(`stopping ${t.name}…`);
      await t.run().catch((err: unknown) => fail(`stopping ${t.name}: ${(err as Error).message}`));
    }
    say(code === 0 ? 'stopped cleanly' : 'stopped');
  }
  return code;
}

/** See sentinel.ts: cleans up after us if we die without doing it ourselves. */
function startSentinel(root: string, runFile: string, dataDir: string): void {
  const child = spawn(
    process.execPath,
    [join(root, 'scripts/up/sentinel.ts'), runFile, join(dataDir, 'nats', 'nats-server.pid'), join(dataDir, 'pg')],
    { detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
  );
  child.on('error', () => {});
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
}

function abortPromise(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((r) => signal.addEventListener('abort', () => r(), { once: true }));
}

/** Runs a command to completion with its output line by line. */
function run(
  command: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string> },
  onLine: (l: string) => void,
): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = lineSplitter(onLine);
    const err = lineSplitter(onLine);
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.once('error', () => resolve(127));
    p.once('exit', (code) => {
      out.flush();
      err.flush();
      resolve(code ?? 1);
    });
  });
}

/** Polls GET /readyz until 200, printing progress; false when it gives up. */
async function waitReady(url: string, gateway: Service, signal: AbortSignal): Promise<boolean> {
  const started = Date.now();
  let lastReport = started;
  let last = 'no answer yet';
  say(`waiting for the gateway (GET ${url} = 200)…`);
  while (!signal.aborted) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) {
        ok(`gateway ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return true;
      }
      last = `HTTP ${res.status}`;
    } catch {
      last = 'no answer yet';
    }
    if (gateway.state() === 'gave-up') {
      fail('the gateway stopped; see its lines above');
      return false;
    }
    if (Date.now() - started > READY_TIMEOUT_MS) {
      fail(`the gateway is not ready after ${READY_TIMEOUT_MS / 1000} s (${last}); continuing without demo data`);
      return false;
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      say(`…still waiting for the gateway (${last}, ${Math.round((Date.now() - started) / 1000)} s)`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
