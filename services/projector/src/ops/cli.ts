import { jetstreamManager } from '@nats-io/jetstream';
import { loadConfigOrExit } from '@realtoros/config';
import { createDb, migrateToLatest } from '@realtoros/db';
import { connectNats, createEventStore, DEAD_LETTER_STREAM } from '@realtoros/messaging';
import { createLogger } from '@realtoros/observability';
import { ProjectorConfig } from '../config.ts';
import { announce } from '../live.ts';
import { PROJECTIONS } from '../read-models/index.ts';
import { discardSubject, listParked, parkedSubjects, redriveSubject } from './parked.ts';
import { replay } from './replay.ts';

const USAGE = `usage: npm run ops -- <command>
  migrate        apply database migrations
  replay         rebuild every read model from the event streams and swap it in
  dead-letters   list messages consumers gave up on (newest last)
  parked         list aggregates whose events the projector parked (could not project)
  redrive <subject|--all>
                 re-apply an aggregate's parked events with the current code, in order, in one transaction
  discard <subject>
                 drop an aggregate's parked events (they stay in the stream and in dead letters)`;

const command = process.argv[2];
const config = loadConfigOrExit(ProjectorConfig);
const log = createLogger('ops', process.env.LOG_LEVEL ?? 'warn');
const db = createDb(config.DATABASE_URL, { applicationName: 'ops' });

try {
  switch (command) {
    case 'migrate': {
      const applied = await migrateToLatest(db);
      console.log(applied.length ? `migrated: ${applied.join(', ')}` : 'database is up to date');
      break;
    }
    case 'replay': {
      await migrateToLatest(db);
      const nc = await connectNats({ url: config.NATS_URL, name: 'ops-replay', log });
      const { js, jsm } = await createEventStore(nc);
      const r = await replay({ db, js, jsm, projections: PROJECTIONS, log, onProgress: printProgress });
      process.stderr.write('\n');
      console.log(
        `replayed ${r.events.toLocaleString('en-US')} events in ${r.seconds.toFixed(2)} s (${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s); read models swapped in`,
      );
      await nc.close();
      break;
    }
    case 'dead-letters': {
      const nc = await connectNats({ url: config.NATS_URL, name: 'ops-dlq', log });
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(DEAD_LETTER_STREAM).catch(() => null);
      if (!info || info.state.messages === 0) console.log('no dead letters');
      else
        for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
          const m = await jsm.streams.getMessage(DEAD_LETTER_STREAM, { seq }).catch(() => null);
          if (m)
            console.log(
              `${m.time.toISOString()} ${m.header.get('Dlq-Stream')}#${m.header.get('Dlq-Stream-Seq')} consumer=${m.header.get('Dlq-Consumer')} reason=${m.header.get('Dlq-Reason')}`,
            );
        }
      await nc.close();
      break;
    }
    case 'parked': {
      const rows = await listParked(db);
      if (rows.length === 0) console.log('nothing parked: every event was projected');
      else {
        console.log(`${rows.length} parked aggregate(s):`);
        for (const r of rows)
          console.log(
            `${r.stream.padEnd(9)} ${r.subject}\n          agent=${r.agentId ?? '?'} first_seq=${r.firstSeq} events=${r.count} since=${r.since.toISOString()}\n          reason: ${r.reason}`,
          );
        console.log('\nnext: fix the cause, then `npm run ops -- redrive <subject|--all>`, or `npm run ops -- discard <subject>`');
      }
      break;
    }
    case 'redrive': {
      const target = process.argv[3];
      if (!target) {
        console.error('usage: npm run ops -- redrive <subject|--all>');
        process.exitCode = 2;
        break;
      }
      const todo = await parkedSubjects(db, target === '--all' ? null : target);
      if (todo.length === 0) {
        console.log(target === '--all' ? 'nothing parked' : `nothing parked on ${target}`);
        break;
      }
      const nc = await connectNats({ url: config.NATS_URL, name: 'ops-redrive', log });
      let failures = 0;
      for (const { stream, subject } of todo) {
        const r = await redriveSubject(db, PROJECTIONS, stream, subject);
        if (r.ok) {
          announce(nc, stream, r.events);
          console.log(`redriven  ${stream} ${subject}: ${r.events.length} event(s) projected`);
        } else {
          failures++;
          console.log(
            `still parked  ${stream} ${subject}: seq ${r.seq} failed again (${r.remaining} event(s) remain)\n          reason: ${r.reason}`,
          );
        }
      }
      await nc.drain();
      if (failures) process.exitCode = 1;
      break;
    }
    case 'discard': {
      const subject = process.argv[3];
      if (!subject || subject.startsWith('--')) {
        console.error('usage: npm run ops -- discard <subject>');
        process.exitCode = 2;
        break;
      }
      const n = await discardSubject(db, subject);
      console.log(
        n ? `discarded ${n} parked event(s) of ${subject} (they remain in the stream and in dead letters)` : `nothing parked on ${subject}`,
      );
      break;
    }
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
} finally {
  await db.destroy();
}

function printProgress(p: { done: number; total: number; stream: string; elapsedMs: number }) {
  const width = 30;
  const frac = p.total ? Math.min(1, p.done / p.total) : 1;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
  const rate = Math.round(p.done / Math.max(p.elapsedMs / 1000, 0.001));
  process.stderr.write(
    `\r[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${p.done}/${p.total} events  ${rate} events/s  (${p.stream})   `,
  );
}
