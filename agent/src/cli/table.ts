import type { CheckResult } from '../core/types.ts';

export interface Column {
  title: string;
  align?: 'left' | 'right';
}

/** A plain-text table; the last column is cut to fit `width`. */
export function renderTable(columns: Column[], rows: string[][], width = 120): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const fixed = widths.slice(0, -1).reduce((a, b) => a + b + 2, 0);
  widths[widths.length - 1] = Math.max(10, Math.min(widths[widths.length - 1], width - fixed));
  const line = (cells: string[]) =>
    cells.map((cell, i) => {
      const w = widths[i];
      const text = visibleLength(cell) > w ? cell.slice(0, w - 1) + '…' : cell;
      const pad = ' '.repeat(Math.max(0, w - visibleLength(text)));
      return columns[i].align === 'right' ? pad + text : text + pad;
    }).join('  ').trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join('\n') + '\n';
}

const visibleLength = (s: string) => [...s].length;

export function resultState(r: CheckResult): string {
  if (!r.ok) return '✗ FAIL';
  return r.details.slow ? '~ SLOW' : '✓ ok';
}

/** The most useful single line about a result: the error, or what the check saw. */
export function resultSummary(r: CheckResult): string {
  const d = r.details;
  if (!r.ok || d.slow) {
    const parts = [d.error_class, d.error].filter(Boolean);
    if (d.slow && !parts.length) parts.push(`over the ${d.latency_objective_ms} ms objective`);
    return parts.join(': ');
  }
  if (d.grace) return 'no heartbeat yet (start-up grace period)';
  if (d.lag_sec !== undefined) return `lag ${d.lag_sec}s${d.block_number !== undefined ? `, block ${d.block_number}` : ''}`;
  if (d.status !== undefined) return `HTTP ${d.status}`;
  return '';
}

export function resultsTable(results: CheckResult[], width?: number, since?: (r: CheckResult) => string): string {
  const cols: Column[] = [{ title: 'CHECK' }, { title: 'STATUS' }, { title: 'LATENCY', align: 'right' }];
  if (since) cols.push({ title: 'AT' });
  cols.push({ title: 'DETAIL' });
  const rows = results.map((r) => {
    const row = [r.check, resultState(r), `${Math.round(r.latencyMs)} ms`];
    if (since) row.push(since(r));
    row.push(resultSummary(r));
    return row;
  });
  return renderTable(cols, rows, width);
}
