import type { ImportJob } from '@realtoros/queries';
import type { Tone } from '#lib/vocab.ts';

/** How an import job's status reads (the import page's recent list and the job's page). */
export const JOB_STATUS: Record<ImportJob['status'], { label: string; tone: Tone }> = {
  queued: { label: 'Waiting to start', tone: 'neutral' },
  running: { label: 'Importing', tone: 'info' },
  done: { label: 'Done', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
};

/** Still moving: the job's page follows it. */
export const isActive = (status: ImportJob['status']) => status === 'queued' || status === 'running';
