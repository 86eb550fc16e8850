import { CsvError, parse } from 'csv-parse/sync';

/** The limits of one import (issue 10): beyond them the file is refused whole. */
export const MAX_IMPORT_ROWS = 50_000;
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
/** A header is a column's name (it becomes a custom field's key and a mapping key in the job's event). */
export const MAX_HEADER_LENGTH = 200;

export type CsvTable = {
  /** Header names as written (trimmed); a blank header becomes "column N". */
  columns: string[];
  /** Data rows, each as many cells as there are columns (short rows padded with ""). */
  rows: string[][];
  /** Rows with more filled cells than the header has columns, by data row number (1 = first after the header). */
  ragged: number[];
  delimiter: ',' | ';';
  encoding: 'utf-8' | 'windows-1252';
};

/** A file that cannot be read as a CSV at all: the message says why, in words an agent can act on. */
export class CsvRefused extends Error {
  override name = 'CsvRefused';
  /** Refused for its size (bytes or rows), not its content: a 413 at the route. */
  readonly tooLarge: boolean;
  constructor(message: string, opts: { tooLarge?: boolean } = {}) {
    super(message);
    this.tooLarge = opts.tooLarge ?? false;
  }
}

/**
 * Bytes to text. UTF-8 (with or without BOM) is read as is; bytes that are not valid UTF-8
 * are read as Windows-1252, which is what Excel on Windows writes for "CSV" — every byte
 * maps to a character there, so a Latin-1 "é" survives. UTF-16 and binary files are
 * refused rather than read as garbage.
 */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: CsvTable['encoding'] } {
  if (bytes.length > MAX_IMPORT_BYTES)
    throw new CsvRefused(`The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB.`, { tooLarge: true });
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    throw new CsvRefused('The file is UTF-16 ("Unicode text"); save it as "CSV UTF-8" and upload it again.');
  if (bytes.includes(0)) throw new CsvRefused('The file is not text (it contains NUL bytes); upload a CSV file.');
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(body), encoding: 'windows-1252' };
  }
}

/** Comma or semicolon (European Excel): whichever occurs more in the header line, outside quotes. */
export function detectDelimiter(text: string): CsvTable['delimiter'] {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** Reads a CSV file (header row first) with csv-parse: quoted fields, embedded newlines and quotes, CRLF. */
export function readCsv(bytes: Uint8Array): CsvTable {
  const { text, encoding } = decodeCsv(bytes);
  if (text.trim() === '') throw new CsvRefused('The file is empty.');
  const delimiter = detectDelimiter(text);
  let records: string[][];
  try {
    records = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true, trim: false });
  } catch (err) {
    if (err instanceof CsvError) throw new CsvRefused(`The file is not a valid CSV (line ${err.lines ?? '?'}): ${err.message}`);
    throw err;
  }
  const [header, ...data] = records;
  if (!header) throw new CsvRefused('The file is empty.');
  if (data.length === 0) throw new CsvRefused('The file has a header row but no clients under it.');
  if (data.length > MAX_IMPORT_ROWS)
    throw new CsvRefused(`The file has ${data.length} rows; one import takes at most ${MAX_IMPORT_ROWS}. Split it and import the parts.`, {
      tooLarge: true,
    });
  const columns = header.map((h, i) => h.trim() || `column ${i + 1}`);
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.length > MAX_HEADER_LENGTH)
      throw new CsvRefused(
        `A column header is longer than ${MAX_HEADER_LENGTH} characters ("${c.slice(0, 40)}…"); is the first row the header?`,
      );
    if (seen.has(c.toLowerCase())) throw new CsvRefused(`Two columns are both named "${c}"; rename one and upload again.`);
    seen.add(c.toLowerCase());
  }
  const ragged: number[] = [];
  const rows = data.map((cells, i) => {
    // Short rows (trailing cells left out) are padded; a row with more filled cells than
    // there are columns would lose data, so it is reported, not guessed at.
    if (cells.slice(columns.length).some((c) => c.trim() !== '')) ragged.push(i + 1);
    return columns.map((_, c) => cells[c] ?? '');
  });
  return { columns, rows, ragged, delimiter, encoding };
}

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR at its start) is written
 * with a leading apostrophe: a client's notes must never become code on the agent's machine
 * (OWASP CSV injection). `fromSpreadsheetCell` undoes it on import, so "+1 555 0100"
 * exported and imported again is the same phone number.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
export function toSpreadsheetCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return FORMULA_START.test(s) ? `'${s}` : s;
}
export const fromSpreadsheetCell = (s: string): string => (s.startsWith("'") && FORMULA_START.test(s.slice(1)) ? s.slice(1) : s);
