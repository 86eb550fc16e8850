import { type Kysely, sql } from 'kysely';

/**
 * `projection_parked`: events the projector could not apply (undecodable, or refused by a
 * read model: e.g. a NUL that Postgres cannot store), and the later events of the same
 * aggregate (subject) held behind them so that aggregate's order holds. Everything else
 * keeps flowing. Operators list, redrive or discard them with `npm run ops -- parked |
 * redrive | discard`. It lives beside the read models (rebuilt by `ops replay`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE projection_parked (
      stream text NOT NULL,
      seq bigint NOT NULL,
      subject text NOT NULL,
      event_type text,
      agent_id uuid,
      reason text NOT NULL,
      -- the seq this event waits behind; null for the event that failed itself
      behind_seq bigint,
      raw bytea NOT NULL,
      parked_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (stream, seq)
    );
    CREATE INDEX projection_parked_subject_idx ON projection_parked (stream, subject, seq);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS projection_parked`.execute(db);
}
