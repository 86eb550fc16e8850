import type { Envelope, EventData } from '@realtoros/contracts';
import { type Decider, DomainError } from '@realtoros/messaging';

/** The events on an import's subject (`crm.<agent>.import.<id>`). */
export type ImportEventType = 'ImportStarted' | 'ImportProgressed' | 'ImportFinished';

export type ImportCounts = { done: number; created: number; updated: number; skipped: number; failed: number };
export const NO_PROGRESS: ImportCounts = { done: 0, created: 0, updated: 0, skipped: 0, failed: 0 };

/**
 * A CSV import job: started once with its file's checksum and choices, then progress
 * checkpoints (rows 1..done handled, totals so far), then finished. The job resumes from the
 * last checkpoint after a crash; rows after it are done again, which their derived command
 * ids make harmless.
 */
export type ImportState =
  | { status: 'absent' }
  | { status: 'started' | 'finished'; job: EventData<'ImportStarted'>; counts: ImportCounts; outcome: 'done' | 'failed' | null };

export type ImportCommand =
  | { type: 'StartImport'; data: EventData<'ImportStarted'> }
  | { type: 'RecordProgress'; data: EventData<'ImportProgressed'> }
  | { type: 'FinishImport'; data: EventData<'ImportFinished'> };

const countsOf = (d: EventData<'ImportProgressed'>): ImportCounts => ({
  done: d.done,
  created: d.created,
  updated: d.updated,
  skipped: d.skipped,
  failed: d.failed,
});

export const importDecider: Decider<ImportCommand, ImportState, ImportEventType> = {
  initialState: { status: 'absent' },
  evolve(state, event: Envelope<ImportEventType>) {
    switch (event.type) {
      case 'ImportStarted':
        return state.status === 'absent' ? { status: 'started', job: event.data, counts: NO_PROGRESS, outcome: null } : state;
      case 'ImportProgressed':
        return state.status === 'started' && event.data.done > state.counts.done ? { ...state, counts: countsOf(event.data) } : state;
      case 'ImportFinished':
        return state.status === 'started' ? { ...state, status: 'finished', outcome: event.data.outcome } : state;
      default:
        return state;
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'StartImport':
        if (state.status === 'absent') return [{ type: 'ImportStarted', data: command.data }];
        // The same request again (its Idempotency-Key): the job it already started.
        if (state.job.sha256 === command.data.sha256) return [];
        throw new DomainError('conflict', 'This import id already belongs to another file.');
      case 'RecordProgress':
        if (state.status === 'absent') throw new DomainError('not_found', 'import not found');
        // A second runner (a redelivery while the first still worked) may be behind: only forward.
        if (state.status === 'finished' || command.data.done <= state.counts.done) return [];
        return [{ type: 'ImportProgressed', data: command.data }];
      case 'FinishImport':
        if (state.status === 'absent') throw new DomainError('not_found', 'import not found');
        return state.status === 'finished' ? [] : [{ type: 'ImportFinished', data: command.data }];
      default: {
        const unhandled: never = command;
        throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
      }
    }
  },
};
