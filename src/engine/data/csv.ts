import { FttlError } from '../util/errors.js';

/** One CSV record and the 1-based line it starts on (for error messages users can jump to). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Parses comma-separated text (RFC 4180: quoted fields, `""` escapes, newlines inside quotes;
 * LF, CRLF or CR line ends; a leading UTF-8 BOM is dropped). Blank lines are skipped.
 * Fields are returned as written; callers trim what they need.
 * A quote left open → FttlError('bad-input', `${source}:${line}: ...`).
 * Why hand-written: the label files are two columns; a dependency would buy nothing here.
 */
export function parseCsv(text: string, source: string): CsvRecord[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: CsvRecord[] = [];
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let recordLine = 1;
  let i = 0;
  const n = text.length;
  const endRecord = () => {
    fields.push(field);
    // A blank line parses as one empty field: skip it.
    if (!(fields.length === 1 && fields[0]!.trim() === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  while (i < n) {
    const ch = text[i]!;
    if (ch === '"' && field.trim() === '') {
      // Quoted field: runs to the closing quote, may span lines.
      const openLine = line;
      field = '';
      i++;
      for (;;) {
        if (i >= n) throw new FttlError('bad-input', `${source}:${openLine}: a quoted field is never closed`);
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
        i++;
      }
      // Tolerate spaces between the closing quote and the separator; anything else is malformed.
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw new FttlError('bad-input', `${source}:${line}: unexpected text after a closing quote`);
      }
      continue;
    }
    if (ch === ',') {
      fields.push(field);
      field = '';
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    field += ch;
    i++;
  }
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
