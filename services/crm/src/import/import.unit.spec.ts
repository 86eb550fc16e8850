import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { importDecider } from './import.ts';

const spec = deciderSpec(importDecider);
const job = {
  file_name: 'book.csv',
  sha256: 'a'.repeat(64),
  on_duplicate: 'skip' as const,
  plan_id: null,
  mapping: { Email: 'email' as const },
  total: 500,
};
const started = { type: 'ImportStarted' as const, data: job };
const progress = (done: number, errors: { row: number; reason: string }[] = []) => ({
  done,
  created: done - errors.length,
  updated: 0,
  skipped: 0,
  failed: errors.length,
  errors,
});
const progressed = (done: number) => ({ type: 'ImportProgressed' as const, data: progress(done) });

describe('import decider', () => {
  it('starts once; the same file again is the same job, another file under its id a conflict', () => {
    spec.given([]).when({ type: 'StartImport', data: job }).then([started]);
    spec.given([started]).when({ type: 'StartImport', data: job }).then([]);
    spec
      .given([started])
      .when({ type: 'StartImport', data: { ...job, sha256: 'b'.repeat(64) } })
      .thenThrows('conflict');
  });
  it('progress only moves forward: a runner behind the checkpoint (a redelivered copy) records nothing', () => {
    spec
      .given([started])
      .when({ type: 'RecordProgress', data: progress(250) })
      .then([progressed(250)]);
    spec
      .given([started, progressed(250)])
      .when({ type: 'RecordProgress', data: progress(250) })
      .then([]);
    spec
      .given([started, progressed(500)])
      .when({ type: 'RecordProgress', data: progress(250) })
      .then([]);
    expect(spec.given([started, progressed(250), progressed(500)]).state()).toMatchObject({ status: 'started', counts: { done: 500 } });
  });
  it('finishes once; nothing is recorded after the end, and an unknown import is not found', () => {
    const finished = { type: 'ImportFinished' as const, data: { outcome: 'done' as const, reason: null } };
    spec
      .given([started, progressed(500)])
      .when({ type: 'FinishImport', data: finished.data })
      .then([finished]);
    spec.given([started, finished]).when({ type: 'FinishImport', data: finished.data }).then([]);
    spec
      .given([started, finished])
      .when({ type: 'RecordProgress', data: progress(600) })
      .then([]);
    spec
      .given([])
      .when({ type: 'RecordProgress', data: progress(1) })
      .thenThrows('not_found');
  });
});
