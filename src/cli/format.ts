// psql-style aligned table output for `chorus sql`.

export function formatTable(fields: string[], rows: unknown[][]): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    if (v instanceof Date) return v.toISOString();
    if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  };
  const text = rows.map((r) => r.map(cell));
  const widths = fields.map((f, i) => Math.max(f.length, ...text.map((r) => (r[i] ?? '').length)));
  const header = fields.map((f, i) => ` ${center(f, widths[i]!)} `).join('|');
  const rule = widths.map((w) => '-'.repeat(w + 2)).join('+');
  const body = text.map((r) =>
    r
      .map((v, i) => ` ${v.padEnd(widths[i]!)} `)
      .join('|')
      .trimEnd(),
  );
  const count = `(${rows.length} row${rows.length === 1 ? '' : 's'})`;
  return [header.trimEnd(), rule, ...body, count].join('\n');
}

function center(s: string, width: number): string {
  const left = Math.floor((width - s.length) / 2);
  return (' '.repeat(left) + s).padEnd(width);
}
