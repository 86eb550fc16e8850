import { createTestDatabase } from '@realtoros/testing';
import { type Kysely, sql } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from './db.ts';
import * as m001 from './migrations/001_read_models.ts';
import * as m002 from './migrations/002_aggregate_seq.ts';
import * as m003 from './migrations/003_projection_parked.ts';
import * as m004 from './migrations/004_email_events.ts';
import * as m005 from './migrations/005_plans.ts';
import * as m006 from './migrations/006_replies_review.ts';
import * as m007 from './migrations/007_plan_on_reply.ts';
import * as m008 from './migrations/008_read_indexes.ts';
import * as m009 from './migrations/009_dashboard_summary.ts';
import * as m010 from './migrations/010_imports.ts';
import * as m011 from './migrations/011_client_tags.ts';
import * as m012 from './migrations/012_templates.ts';
import * as m013 from './migrations/013_agent_credentials.ts';
import * as m014 from './migrations/014_audit_log.ts';

describe('migrations on real Postgres', () => {
  it('004 moves existing webhook_events arrays into email_events rows with counters and delivered_at, then drops the array', async () => {
    const t = await createTestDatabase({ migrate: false });
    try {
      // The database as it was before 004.
      const before: Record<string, Migration> = { '001_read_models': m001, '002_aggregate_seq': m002, '003_projection_parked': m003 };
      // biome-ignore lint/suspicious/noExplicitAny: the schema of the past
      const old = t.db as unknown as Kysely<any>;
      const r = await new Migrator({ db: old, provider: { getMigrations: async () => before } }).migrateToLatest();
      expect(r.error).toBeUndefined();
      const agent = uuidv7();
      const withHistory = uuidv7();
      const empty = uuidv7();
      const history = [
        { sg_event_id: 'a', event: 'delivered', timestamp: '2026-11-21T12:00:02.000Z' },
        { sg_event_id: 'b', event: 'open', timestamp: '2026-11-21T12:00:05.000Z' },
        { sg_event_id: 'c', event: 'click', timestamp: '2026-11-21T12:00:09.000Z', url: 'https://example.com/x' },
        { sg_event_id: 'd', event: 'open', timestamp: '2026-11-21T12:00:07.000Z' },
      ];
      for (const [id, events] of [
        [withHistory, history],
        [empty, []],
      ] as const)
        await sql`INSERT INTO email_logs (id, agent_id, client_id, status, created_at, webhook_events)
                  VALUES (${id}, ${agent}, ${uuidv7()}, 'clicked', now(), ${JSON.stringify(events)}::jsonb)`.execute(old);

      expect(await migrateToLatest(t.db)).toEqual([
        '004_email_events',
        '005_plans',
        '006_replies_review',
        '007_plan_on_reply',
        '008_read_indexes',
        '009_dashboard_summary',
        '010_imports',
        '011_client_tags',
        '012_templates',
        '013_agent_credentials',
        '014_audit_log',
      ]);

      const rows = await t.db.selectFrom('email_events').selectAll().orderBy('occurred_at').execute();
      expect(rows.map((r) => [r.email_id, r.agent_id, r.sg_event_id, r.event, r.occurred_at.toISOString(), r.url])).toEqual([
        [withHistory, agent, 'a', 'delivered', '2026-11-21T12:00:02.000Z', null],
        [withHistory, agent, 'b', 'open', '2026-11-21T12:00:05.000Z', null],
        [withHistory, agent, 'd', 'open', '2026-11-21T12:00:07.000Z', null],
        [withHistory, agent, 'c', 'click', '2026-11-21T12:00:09.000Z', 'https://example.com/x'],
      ]);
      const logs = await t.db.selectFrom('email_logs').selectAll().orderBy('id').execute();
      const byId = new Map(logs.map((l) => [l.id, l]));
      expect(byId.get(withHistory)).toMatchObject({ webhook_event_count: 4, open_count: 2, click_count: 1 });
      expect(byId.get(withHistory)?.delivered_at?.toISOString()).toBe('2026-11-21T12:00:02.000Z');
      expect(byId.get(empty)).toMatchObject({ webhook_event_count: 0, open_count: 0, click_count: 0, delivered_at: null });
      expect(logs[0]).not.toHaveProperty('webhook_events');
    } finally {
      await t.dispose();
    }
  });

  it('005 keeps existing tasks and clients (new columns null, pinned false) and adds plans, plan_versions, enrollments, agent_settings; down undoes it', async () => {
    const t = await createTestDatabase({ migrate: false });
    try {
      const before: Record<string, Migration> = {
        '001_read_models': m001,
        '002_aggregate_seq': m002,
        '003_projection_parked': m003,
        '004_email_events': m004,
      };
      // biome-ignore lint/suspicious/noExplicitAny: the schema of the past
      const old = t.db as unknown as Kysely<any>;
      expect((await new Migrator({ db: old, provider: { getMigrations: async () => before } }).migrateToLatest()).error).toBeUndefined();
      const task = uuidv7();
      const client = uuidv7();
      await sql`INSERT INTO tasks (id, agent_id, client_id, followup_type, scheduled_for, status, priority, created_at, updated_at, version)
                VALUES (${task}, ${uuidv7()}, ${client}, 'Day 1', now(), 'pending', 'high', now(), now(), 1)`.execute(old);
      await sql`INSERT INTO clients (id, agent_id, name, email, stage, custom_fields, created_at, updated_at)
                VALUES (${client}, ${uuidv7()}, 'A', 'a@example.com', 'lead', '{}', now(), now())`.execute(old);

      expect(await migrateToLatest(t.db)).toEqual([
        '005_plans',
        '006_replies_review',
        '007_plan_on_reply',
        '008_read_indexes',
        '009_dashboard_summary',
        '010_imports',
        '011_client_tags',
        '012_templates',
        '013_agent_credentials',
        '014_audit_log',
      ]);
      // 009 counted the rows already there into the dashboard summary.
      expect(await t.db.selectFrom('dashboard_task_counts').select(['status', 'held', 'n']).execute()).toEqual([
        { status: 'pending', held: '', n: 1 },
      ]);
      expect(await t.db.selectFrom('dashboard_client_counts').select(['stage', 'n']).execute()).toEqual([{ stage: 'lead', n: 1 }]);
      expect(
        await t.db
          .selectFrom('tasks')
          .select([
            'enrollment_id',
            'plan_id',
            'plan_version',
            'step_id',
            'step_label',
            'action',
            'planned_for',
            'held_reason',
            'held_until',
            'pinned',
          ])
          .where('id', '=', task)
          .executeTakeFirstOrThrow(),
      ).toEqual({
        enrollment_id: null,
        plan_id: null,
        plan_version: null,
        step_id: null,
        step_label: null,
        action: null,
        planned_for: null,
        held_reason: null,
        held_until: null,
        pinned: false,
      });
      expect(await t.db.selectFrom('clients').select('time_zone').executeTakeFirstOrThrow()).toEqual({ time_zone: null });
      for (const table of ['plans', 'plan_versions', 'enrollments', 'agent_settings'] as const)
        expect(await t.db.selectFrom(table).selectAll().execute()).toEqual([]);

      // 006 (replies, review): its tables start empty, the existing client has no reply.
      expect(await t.db.selectFrom('clients').select('replied_at').executeTakeFirstOrThrow()).toEqual({ replied_at: null });
      for (const table of ['replies', 'inbound_unmatched', 'activities'] as const)
        expect(await t.db.selectFrom(table).selectAll().execute()).toEqual([]);

      // 007 (a plan's on_reply): existing plans keep ending on a reply.
      const { rows: onReply } = await sql<{ table_name: string; column_default: string }>`SELECT table_name, column_default
        FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'on_reply' ORDER BY table_name`.execute(old);
      expect(onReply).toEqual([
        { table_name: 'plan_versions', column_default: "'end'::text" },
        { table_name: 'plans', column_default: "'end'::text" },
      ]);

      const all = {
        ...before,
        '005_plans': m005,
        '006_replies_review': m006,
        '007_plan_on_reply': m007,
        '008_read_indexes': m008,
        '009_dashboard_summary': m009,
        '010_imports': m010,
        '011_client_tags': m011,
        '012_templates': m012,
        '013_agent_credentials': m013,
        '014_audit_log': m014,
      };
      const migrator = new Migrator({ db: old, provider: { getMigrations: async () => all } });
      // 014 (audit log): the table starts empty; down drops it.
      expect(await t.db.selectFrom('audit_log').selectAll().execute()).toEqual([]);
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 014
      const { rows: audit } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name = 'audit_log'`.execute(old);
      expect(audit[0]?.n).toBe(0);
      // 013 (credentials out of events): an agent without a hash in its event; down refuses no row.
      await sql`INSERT INTO agents (id, email, name, password_hash, created_at)
        VALUES ('0190a000-0000-7000-8000-00000000a013', 'new@example.com', 'New', NULL, now())`.execute(old);
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 013
      const { rows: nullable } = await sql<{ is_nullable: string }>`SELECT is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'agents' AND column_name = 'password_hash'`.execute(old);
      expect(nullable[0]?.is_nullable).toBe('NO');
      await sql`DELETE FROM agents WHERE id = '0190a000-0000-7000-8000-00000000a013'`.execute(old);
      // 012 (templates): the table starts empty; down drops it.
      expect(await t.db.selectFrom('templates').selectAll().execute()).toEqual([]);
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 012
      const { rows: templates } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name = 'templates'`.execute(old);
      expect(templates[0]?.n).toBe(0);
      // 011 (client tags): the existing client has none; down drops both columns.
      expect(await t.db.selectFrom('clients').select(['tags', 'tag_keys']).executeTakeFirstOrThrow()).toEqual({ tags: [], tag_keys: [] });
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 011
      const { rows: tagColumns } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'clients' AND column_name IN ('tags', 'tag_keys')`.execute(old);
      expect(tagColumns[0]?.n).toBe(0);
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 010
      const { rows: imports } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name = 'imports'`.execute(old);
      expect(imports[0]?.n).toBe(0);
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 009
      const { rows: summary } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name LIKE 'dashboard\_%'`.execute(old);
      expect(summary[0]?.n).toBe(0);
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 008
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 007
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 006
      const { rows: left } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name IN ('replies', 'inbound_unmatched', 'activities')`.execute(old);
      expect(left[0]?.n).toBe(0);
      expect((await migrator.migrateDown()).error).toBeUndefined(); // 005
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name IN ('plans', 'plan_versions', 'enrollments', 'agent_settings')`.execute(old);
      expect(rows[0]?.n).toBe(0);
    } finally {
      await t.dispose();
    }
  });
});
