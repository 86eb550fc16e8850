import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './index.ts';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('isDatabaseUnavailable: a dependency down (503), not a bug (500) or bad input (400)', () => {
  it('network failures, connection exceptions and a server that is shutting down or full', () => {
    for (const e of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], ''),
      pgError('08006'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('57P03', 'the database system is starting up'),
      pgError('53300', 'too many connections'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated due to connection timeout'),
      new Error('Query read timeout'),
      new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) }),
    ])
      expect(isDatabaseUnavailable(e), e.message).toBe(true);
  });

  it('not: data and constraint errors, framework errors, anything that is not an Error', () => {
    for (const e of [
      pgError('22021', 'invalid byte sequence'),
      pgError('23505', 'duplicate key'),
      pgError('42P01'),
      Object.assign(new Error('x'), { code: 'FST_ERR_BAD_URL' }),
      new Error('boom'),
      'ECONNREFUSED',
      null,
    ])
      expect(isDatabaseUnavailable(e)).toBe(false);
  });
});
