import { describe, expect, it } from 'vitest';
import { CsvRefused, fromSpreadsheetCell, MAX_IMPORT_ROWS, readCsv, toSpreadsheetCell } from './csv.ts';
import { checkRows, guessMapping, mappingProblems, rowToClient } from './mapping.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('readCsv: the files agents actually have', () => {
  it('UTF-8 with a BOM, CRLF line ends, quoted fields holding commas, quotes and newlines', () => {
    const t = readCsv(
      utf8('\uFEFFName,Email,Notes\r\n"Doe, Jane",jane@example.com,"said ""call me""\r\nafter 5"\r\nBob,bob@example.com,\r\n'),
    );
    expect(t.columns).toEqual(['Name', 'Email', 'Notes']);
    expect(t.rows).toEqual([
      ['Doe, Jane', 'jane@example.com', 'said "call me"\r\nafter 5'],
      ['Bob', 'bob@example.com', ''],
    ]);
    expect(t).toMatchObject({ delimiter: ',', encoding: 'utf-8', ragged: [] });
  });

  it('semicolons (European Excel) are detected, commas inside cells kept', () => {
    const t = readCsv(utf8('Name;Email;Address\nJean;jean@example.fr;"1, rue de la Paix"\n'));
    expect(t.delimiter).toBe(';');
    expect(t.rows[0]).toEqual(['Jean', 'jean@example.fr', '1, rue de la Paix']);
  });

  it('Windows-1252 (Excel on Windows) is read as such: é and € survive', () => {
    const bytes = Uint8Array.from([...utf8('Name,Email\nRen'), 0xe9, ...utf8(' '), 0x80, ...utf8(',rene@example.com\n')]);
    const t = readCsv(bytes);
    expect(t.encoding).toBe('windows-1252');
    expect(t.rows[0]).toEqual(['René €', 'rene@example.com']);
  });

  it('short rows are padded; a row with extra filled cells is reported by its number', () => {
    const t = readCsv(utf8('Name,Email,Phone\nA,a@example.com\nB,b@example.com,1,surprise\nC,c@example.com,2,\n'));
    expect(t.rows[0]).toEqual(['A', 'a@example.com', '']);
    expect(t.ragged).toEqual([2]);
  });

  it.each([
    ['UTF-16', Uint8Array.from([0xff, 0xfe, 0x4e, 0x00]), /UTF-16/],
    ['binary', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]), /not text/],
    ['empty', utf8('  \n'), /empty/],
    ['only a header', utf8('Name,Email\n'), /no clients/],
    ['an unclosed quote', utf8('Name,Email\n"Jane,jane@example.com\n'), /not a valid CSV/],
    ['two columns of one name', utf8('Email,email\na@example.com,b@example.com\n'), /both named/],
    [
      'a header of 201 characters (a row of data taken for the header?)',
      utf8(`Email,${'n'.repeat(201)}\na@example.com,x\n`),
      /longer than 200/,
    ],
  ])('%s is refused with a message that says why', (_what, bytes, message) => {
    expect(() => readCsv(bytes)).toThrow(CsvRefused);
    expect(() => readCsv(bytes)).toThrow(message);
  });

  it(`more than ${MAX_IMPORT_ROWS} rows is refused whole`, () => {
    const body = `Name,Email\n${'A,a@example.com\n'.repeat(MAX_IMPORT_ROWS + 1)}`;
    expect(() => readCsv(utf8(body))).toThrow(/at most 50000/);
  });
});

describe('mapping columns to client fields', () => {
  it('guesses the usual headers; anything else becomes a custom field', () => {
    expect(guessMapping(['First Name', 'Last Name', 'E-mail Address', 'Mobile', 'Street Address', 'Lead Status', 'Budget'])).toEqual({
      'First Name': 'first_name',
      'Last Name': 'last_name',
      'E-mail Address': 'email',
      Mobile: 'phone',
      'Street Address': 'property_address',
      'Lead Status': 'stage',
      Budget: 'custom',
    });
    // A second email column is not a second email: it is kept as a custom field.
    expect(guessMapping(['Email', 'Mail'])).toEqual({ Email: 'email', Mail: 'custom' });
  });

  it('a mapping without email or name, or naming a column twice over, is refused before any row', () => {
    expect(mappingProblems(['Name'], { Name: 'name' })).toEqual(['No column is mapped to email; every client needs one.']);
    expect(mappingProblems(['Email', 'X'], { Email: 'email', X: 'ignore' })).toEqual(['No column is mapped to name (or first/last name).']);
    expect(mappingProblems(['A', 'B'], { A: 'email', B: 'email', Name: 'name' })).toEqual([
      'The mapping names a column "Name" the file does not have.',
      'More than one column is mapped to email.',
      'No column is mapped to name (or first/last name).',
    ]);
  });
});

describe('a row becomes a client, or a reason', () => {
  const columns = ['First', 'Last', 'Email', 'Stage', 'Type', 'Budget', 'Skip'];
  const mapping = { ...guessMapping(columns), Skip: 'ignore' as const };

  it('joins first and last name, normalises stage and type, lower-cases the email, keeps the rest as custom fields', () => {
    expect(rowToClient(columns, ['Jane', 'Doe', 'Jane@Example.COM', 'Under Contract', 'Multi-Family', '450k', 'x'], mapping)).toEqual({
      ok: true,
      client: {
        name: 'Jane Doe',
        email: 'jane@example.com',
        stage: 'under_contract',
        property_type: 'multi_family',
        custom_fields: { Budget: '450k' },
      },
    });
  });

  it.each([
    [['', '', 'a@example.com', '', '', '', ''], 'name is missing'],
    [['A', '', '', '', '', '', ''], 'email is missing'],
    [['A', '', 'not-an-email', '', '', '', ''], '"not-an-email" is not an email address'],
    [
      ['A', '', 'a@example.com', 'hot', '', '', ''],
      'unknown stage "hot" (one of: lead, contacted, qualified, negotiating, under_contract, closed, lost)',
    ],
    [
      ['A', '', 'a@example.com', '', 'castle', '', ''],
      'unknown property type "castle" (one of: residential, commercial, land, multi_family, rental)',
    ],
  ])('%j → %s', (cells, reason) => {
    expect(rowToClient(columns, cells, mapping)).toEqual({ ok: false, reason });
  });

  it('checkRows numbers data rows from 1 and reports ragged rows without reading them', () => {
    const t = readCsv(utf8('Name,Email\nA,a@example.com\nB,b@example.com,extra\n,c@example.com\n'));
    expect(checkRows(t, guessMapping(t.columns))).toEqual([
      { row: 1, result: { ok: true, client: { name: 'A', email: 'a@example.com' } } },
      { row: 2, result: { ok: false, reason: 'the row has more cells than the header has columns (2); check its quotes' } },
      { row: 3, result: { ok: false, reason: 'name is missing' } },
    ]);
  });
});

describe('cells a spreadsheet would run', () => {
  it('are written with a leading apostrophe and read back as they were', () => {
    for (const v of ['=HYPERLINK("x")', '+1 555 0100', '-5', '@SUM(A1)', '\tx']) {
      expect(toSpreadsheetCell(v)).toBe(`'${v}`);
      expect(fromSpreadsheetCell(toSpreadsheetCell(v))).toBe(v);
    }
    expect(toSpreadsheetCell("it's fine")).toBe("it's fine");
    expect(fromSpreadsheetCell("'quoted on purpose")).toBe("'quoted on purpose");
    expect([toSpreadsheetCell(null), toSpreadsheetCell(false), toSpreadsheetCell({ a: 1 })]).toEqual(['', 'false', '{"a":1}']);
  });

  it('an exported phone number imports as the same number', () => {
    expect(
      rowToClient(['Name', 'Email', 'Phone'], ['A', 'a@example.com', "'+1 555 0100"], guessMapping(['Name', 'Email', 'Phone'])),
    ).toEqual({
      ok: true,
      client: { name: 'A', email: 'a@example.com', phone: '+1 555 0100' },
    });
  });
});
