import { IMPORT_DUPLICATE_CHOICES, IMPORT_TARGETS } from '@realtoros/contracts';
import * as imports from '@realtoros/imports';
import { describe, expect, it } from 'vitest';
import { DUPLICATE_CHOICES, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, mappingOf, TARGETS } from './import-form.ts';

describe('the import page’s vocabulary', () => {
  it('mirrors the contracts and the gateway’s limits', () => {
    expect(TARGETS).toEqual([...IMPORT_TARGETS]);
    expect(DUPLICATE_CHOICES).toEqual([...IMPORT_DUPLICATE_CHOICES]);
    expect(MAX_IMPORT_BYTES).toBe(imports.MAX_IMPORT_BYTES);
    expect(MAX_IMPORT_ROWS).toBe(imports.MAX_IMPORT_ROWS);
  });

  it('given map:<header> fields, when read, then the mapping keeps known targets only', () => {
    const data = new FormData();
    data.set('map:E-mail Address', 'email');
    data.set('map:Favorite Color', 'custom');
    data.set('map:Weird', 'not-a-target');
    data.set('on_duplicate', 'skip');
    expect(mappingOf(data)).toEqual({ 'E-mail Address': 'email', 'Favorite Color': 'custom' });
  });

  it('given no map fields (a first preview), when read, then there is no mapping (the gateway guesses)', () => {
    expect(mappingOf(new FormData())).toBeNull();
  });
});
