import { PoisonMessageError } from '@realtoros/messaging';
import { describe, expect, it } from 'vitest';
import { isTransient, reasonOf } from './poison.ts';

/** The shape pg gives a server error: a five-character SQLSTATE and a severity. */
const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'ERROR' });
const sysError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect' });

describe('isTransient: Postgres unreachable or overloaded → retry the batch; anything else → park the event', () => {
  it.each([
    ['08006 connection failure', pgError('08006')],
    ['53300 too many connections', pgError('53300')],
    ['57P01 admin shutdown', pgError('57P01')],
    ['57014 statement timeout', pgError('57014')],
    ['58030 io error', pgError('58030')],
    ['40001 serialization failure', pgError('40001')],
    ['40P01 deadlock', pgError('40P01')],
    ['ECONNREFUSED', sysError('ECONNREFUSED')],
    ['ECONNRESET', sysError('ECONNRESET')],
    [
      'AggregateError ECONNREFUSED (happy eyeballs)',
      Object.assign(new AggregateError([sysError('ECONNREFUSED')], ''), { code: 'ECONNREFUSED' }),
    ],
    ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['pg pool: timeout exceeded when trying to connect', new Error('timeout exceeded when trying to connect')],
  ])('transient: %s', (_name, err) => expect(isTransient(err)).toBe(true));

  it.each([
    ['22P05 unsupported Unicode escape sequence', pgError('22P05', 'unsupported Unicode escape sequence')],
    ['22021 invalid byte sequence (NUL in text)', pgError('22021')],
    ['23505 unique violation', pgError('23505')],
    ['42703 undefined column (projection bug)', pgError('42703')],
    ['TypeError in projection code', new TypeError("Cannot read properties of null (reading 'x')")],
    ['undecodable message', new PoisonMessageError('not JSON')],
    ['a thrown string', 'boom'],
  ])('the event’s fault: %s', (_name, err) => expect(isTransient(err)).toBe(false));
});

describe('reasonOf', () => {
  it('says the SQLSTATE and the error class in one storable line', () => {
    expect(reasonOf(pgError('22P05', 'unsupported Unicode escape sequence'))).toBe('[22P05] unsupported Unicode escape sequence');
    expect(reasonOf(new TypeError('x is not a function'))).toBe('TypeError: x is not a function');
    expect(reasonOf(new Error(`bad \u0000 and \ud800`))).toBe('bad \\u0000 and \ufffd');
    expect(reasonOf(new Error('y'.repeat(5000)))).toHaveLength(1000);
  });
  it('keeps valid surrogate pairs', () => expect(reasonOf(new Error('ok 😀'))).toBe('ok 😀'));
});
