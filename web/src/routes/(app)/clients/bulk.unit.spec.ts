import { describe, expect, it } from 'vitest';
import { tagList } from '#lib/server/client-form.ts';
import { bulkRequest, bulkSummary } from './bulk.ts';

const A = '0190a000-0000-7000-8000-0000000000a1';
const B = '0190a000-0000-7000-8000-0000000000b2';
const form = (entries: [string, string][]) => {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
};

describe('the clients list bulk bar → POST /api/clients/bulk', () => {
  it('ticked ids with the pressed action and its own control’s value; junk ids dropped, repeats once', () => {
    expect(
      bulkRequest(
        form([
          ['scope', 'ids'],
          ['ids', A],
          ['ids', 'nope'],
          ['ids', B],
          ['ids', A],
          ['stage_value', 'qualified'],
          ['tag_value', 'x'],
          ['bulk_action', 'set_stage'],
        ]),
      ),
    ).toEqual({ ok: true, body: { action: 'set_stage', ids: [A, B], value: 'qualified' } });
    expect(
      bulkRequest(
        form([
          ['ids', A],
          ['bulk_action', 'delete'],
          ['stage_value', 'lead'],
        ]),
      ),
    ).toEqual({ ok: true, body: { action: 'delete', ids: [A] } });
    expect(
      bulkRequest(
        form([
          ['ids', A],
          ['bulk_action', 'tag'],
          ['tag_value', ' VIP '],
        ]),
      ),
    ).toEqual({ ok: true, body: { action: 'tag', ids: [A], value: 'VIP' } });
  });

  it('"all matching the filter" sends the list’s filters instead of ids', () => {
    expect(
      bulkRequest(
        form([
          ['scope', 'filter'],
          ['ids', A],
          ['f_stage', 'lead'],
          ['f_property_type', ''],
          ['f_q', ' ann '],
          ['f_tag', 'vip'],
          ['bulk_action', 'end_enrollment'],
        ]),
      ),
    ).toEqual({ ok: true, body: { action: 'end_enrollment', filter: { stage: 'lead', q: 'ann', tag: 'vip' } } });
  });

  it('says what is missing instead of sending a request that must fail', () => {
    expect(bulkRequest(form([['bulk_action', 'delete']]))).toMatchObject({ ok: false, message: 'Select at least one client.' });
    expect(
      bulkRequest(
        form([
          ['ids', A],
          ['bulk_action', 'archive'],
        ]),
      ),
    ).toMatchObject({ ok: false });
    expect(
      bulkRequest(
        form([
          ['ids', A],
          ['bulk_action', 'enroll'],
          ['plan_value', ''],
        ]),
      ),
    ).toMatchObject({ ok: false });
    expect(
      bulkRequest(
        form([
          ['ids', A],
          ['bulk_action', 'tag'],
          ['tag_value', '  '],
        ]),
      ),
    ).toMatchObject({ ok: false });
  });

  it('the summary counts done, not found and failed, with the first reason', () => {
    expect(
      bulkSummary('set_stage', [
        { id: A, status: 'ok' },
        { id: B, status: 'not_found' },
        { id: A, status: 'error', detail: 'the crm service did not answer' },
      ]),
    ).toBe('1 done (stage changed), 1 not found, 1 failed — the crm service did not answer.');
    expect(bulkSummary('delete', [])).toBe('0 done (deleted), 0 not found, 0 failed.');
  });
});

describe('the tags field', () => {
  it('splits on commas, trims, drops blanks and a repeat in another case (the first spelling stays)', () => {
    expect(tagList(' VIP, Buyer 2027 ,, vip ,')).toEqual(['VIP', 'Buyer 2027']);
    expect(tagList('')).toEqual([]);
  });
});
