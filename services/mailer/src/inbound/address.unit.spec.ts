import { describe, expect, it } from 'vitest';
import { addressOf } from './address.ts';

describe('addressOf', () => {
  it.each<[string, string, { email: string; name: string | null }]>([
    ['a quoted name (Gmail)', '"Maria Lopez" <Maria@Example.com>', { email: 'maria@example.com', name: 'Maria Lopez' }],
    ['an unquoted name (Apple Mail)', 'Maria Lopez <maria@icloud.example>', { email: 'maria@icloud.example', name: 'Maria Lopez' }],
    [
      'a "Last, First" name (Outlook)',
      '"Lopez, Maria" <Maria.Lopez@Contoso.example>',
      { email: 'maria.lopez@contoso.example', name: 'Lopez, Maria' },
    ],
    ['a bare address', 'maria@example.com', { email: 'maria@example.com', name: null }],
    ['a bare address in brackets', '<maria@example.com>', { email: 'maria@example.com', name: null }],
    ['an address in uppercase', 'MARIA@EXAMPLE.COM', { email: 'maria@example.com', name: null }],
    ['spaces inside the brackets', 'Maria < maria@example.com >', { email: 'maria@example.com', name: 'Maria' }],
    ['surrounding whitespace', '  "Maria"   <maria@example.com>  ', { email: 'maria@example.com', name: 'Maria' }],
    [
      'escaped quotes in the name',
      '"Maria \\"Mari\\" Lopez" <maria@example.com>',
      { email: 'maria@example.com', name: 'Maria "Mari" Lopez' },
    ],
    ['"<" inside a quoted name', '"Maria <Lopez>" <maria@example.com>', { email: 'maria@example.com', name: 'Maria <Lopez>' }],
    [
      'a name over several spaces or a folded line',
      'Maria \r\n  Lopez <maria@example.com>',
      { email: 'maria@example.com', name: 'Maria Lopez' },
    ],
    ['an empty quoted name', '"" <maria@example.com>', { email: 'maria@example.com', name: null }],
    ['a name that repeats the address', '"Maria@Example.com" <maria@example.com>', { email: 'maria@example.com', name: null }],
    ['the old comment form', 'maria@example.com (Maria Lopez)', { email: 'maria@example.com', name: 'Maria Lopez' }],
    ['a name before a bare address', 'Maria Lopez maria@example.com', { email: 'maria@example.com', name: 'Maria Lopez' }],
    ['a plus address and subdomains', 'maria+homes@mail.example.co.uk', { email: 'maria+homes@mail.example.co.uk', name: null }],
    ['a non-ASCII name', 'José Núñez <jose@example.es>', { email: 'jose@example.es', name: 'José Núñez' }],
  ])('reads %s', (_, from, address) => {
    expect(addressOf(from)).toEqual(address);
  });

  it.each([
    ['empty', ''],
    ['a name only', 'Maria Lopez'],
    ['empty brackets', 'Maria <>'],
    ['no domain', 'maria@'],
    ['no local part', '@example.com'],
    ['an undotted domain', 'maria@localhost'],
    ['a domain ending in a dot', 'maria@example.'],
    ['two @', 'maria@lopez@example.com'],
    ['a bracketed value that is no address', 'Maria <not an address>'],
    ['an address not at the end', '<maria@example.com> trailing words'],
    ['an address past 254 characters', `${'a'.repeat(250)}@example.com`],
  ])('is null for %s', (_, from) => {
    expect(addressOf(from)).toBeNull();
  });
});
