import { describe, expect, it } from 'vitest';
import { problemToForm, problemToPointers } from './forms.ts';

describe('problem details → inline form errors', () => {
  it('puts each pointer on its field', () => {
    const r = problemToForm(
      {
        title: 'Bad Request',
        status: 400,
        detail: 'Invalid request',
        errors: [
          { pointer: '/email', detail: 'must match format "email"' },
          { pointer: '/name', detail: 'must NOT have fewer than 1 characters' },
        ],
      },
      ['name', 'email'],
    );
    expect(r.errors).toEqual({ email: 'Must be a valid email address', name: 'Must NOT have fewer than 1 characters' });
    expect(r.message).toBeNull();
  });

  it('uses the detail when no field is named', () => {
    expect(problemToForm({ title: 'Conflict', status: 409, detail: 'Email already used' }, ['email'])).toEqual({
      message: 'Email already used',
      errors: {},
    });
    expect(problemToForm({ title: 'Service Unavailable', status: 503 })).toEqual({ message: 'Service Unavailable', errors: {} });
  });

  it('keeps errors for unknown fields as the form message', () => {
    const r = problemToForm({ title: 'Bad Request', status: 400, errors: [{ pointer: '/custom_fields/x', detail: 'too long' }] }, ['name']);
    expect(r).toEqual({ message: 'too long', errors: {} });
  });
});

describe('problem details → errors by pointer (nested forms)', () => {
  it('keeps the whole pointer, so a step’s field gets its own error', () => {
    const r = problemToPointers(
      {
        title: 'Bad Request',
        status: 400,
        detail: 'Invalid request',
        errors: [
          { pointer: '/steps/2/offset_days', detail: 'must be >= 0' },
          { pointer: '/name', detail: 'must NOT have fewer than 1 characters' },
          { pointer: '/elsewhere', detail: 'is odd' },
        ],
      },
      (p) => p === 'name' || p.startsWith('steps'),
    );
    expect(r.errors).toEqual({ 'steps/2/offset_days': 'Must be >= 0', name: 'Must NOT have fewer than 1 characters' });
    expect(r.message).toBe('Is odd');
  });
  it('uses the detail when nothing is on a field', () => {
    expect(problemToPointers({ title: 'Conflict', status: 409, detail: 'Taken' }, () => true)).toEqual({ message: 'Taken', errors: {} });
  });
});
