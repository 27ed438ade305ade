import type { CheckSpecBase } from '../checks/types.ts';
import type { CheckResult, Clock } from '../core/types.ts';
import { resultState, resultSummary, resultsTable } from './table.ts';

export interface StatusView {
  onResult(result: CheckResult): void;
  /** Something else wrote on the terminal: the next tick redraws the whole screen. */
  invalidate(): void;
  start(signal: AbortSignal): Promise<void>;
}

export interface StatusFooter {
  /** Open incidents, one line each after a title line. */
  incidents: string[];
  /** The full SLO report, shown when the terminal is tall enough. */
  slo: string;
  /** Its one-line form, shown otherwise. */
  sloLine: string;
}

/**
 * The screen as lines that each fit one terminal row: the header (long lines folded), the check table, the open
 * incidents, then the SLO report when it fits (else its one-line form). Incidents are cut last, never the table.
 */
export function layoutScreen(opts: {
  header: string[];
  table: string;
  pending: string[];
  footer: StatusFooter;
  columns: number;
  rows: number;
}): string[] {
  const width = Math.max(20, opts.columns - 1); // the last column is left free: no terminal wraps early
  const fold = (line: string): string[] => {
    const chars = [...line];
    if (chars.length <= width) return [line];
    const out: string[] = [];
    for (let i = 0; i < chars.length; i += width) out.push(chars.slice(i, i + width).join(''));
    return out;
  };
  const cut = (line: string) => ([...line].length > width ? [...line].slice(0, width - 1).join('') + '…' : line);
  const head = opts.header.flatMap(fold);
  const table = opts.table.trimEnd().split('\n').map(cut);
  if (opts.pending.length) table.push(cut(`waiting for the first run of: ${opts.pending.join(', ')}`));
  const sloFull = opts.footer.slo.trimEnd() ? opts.footer.slo.trimEnd().split('\n').map(cut) : [];
  const sloShort = opts.footer.sloLine ? [cut(opts.footer.sloLine)] : [];
  let incidents = opts.footer.incidents.map(cut);
  const fixed = head.length + 1 + table.length + 1;
  const room = Math.max(0, opts.rows - fixed);
  let slo = sloFull.length && incidents.length + 1 + sloFull.length <= room ? ['', ...sloFull] : sloShort;
  if (incidents.length + slo.length > room) {
    slo = room > 1 ? sloShort : [];
    const keep = Math.max(0, room - slo.length);
    if (incidents.length > keep) {
      incidents = keep > 0 ? [...incidents.slice(0, keep - 1), cut(`  … and ${incidents.length - keep + 1} more (npm run agent -- doctor, or Grafana)`)] : [];
    }
  }
  return [...head, '', ...table, '', ...incidents, ...slo].slice(0, Math.max(1, opts.rows));
}

/**
 * The terminal status of `demo`: on a terminal, a screen that fits the window, where only the rows that changed
 * are rewritten each second; elsewhere (a pipe, a log) one line whenever a check changes state.
 */
export function createStatusView(opts: {
  specs: CheckSpecBase[];
  clock: Clock;
  write: (text: string) => void;
  isTTY: boolean;
  columns: () => number;
  rows: () => number;
  header: string[];
  footer?: () => StatusFooter;
}): StatusView {
  const latest = new Map<string, CheckResult>();
  const order = opts.specs.filter((s) => s.enabled).map((s) => s.name);
  const ago = (r: CheckResult) => `${Math.max(0, Math.round((opts.clock.now().getTime() - r.ts.getTime()) / 1000))}s ago`;
  let shown: string[] = [];
  let size = '';

  const draw = () => {
    const columns = opts.columns();
    const rows = opts.rows();
    const results = order.map((name) => latest.get(name)).filter((r): r is CheckResult => Boolean(r));
    const screen = layoutScreen({
      header: opts.header,
      table: resultsTable(results, columns - 1, ago),
      pending: order.filter((name) => !latest.has(name)),
      footer: opts.footer?.() ?? { incidents: [], slo: '', sloLine: '' },
      columns,
      rows,
    });
    let text = '';
    if (size !== `${columns}x${rows}`) {
      size = `${columns}x${rows}`;
      shown = [];
      text += '\x1b[?25l\x1b[H\x1b[2J';
    }
    screen.forEach((line, i) => {
      if (shown[i] !== line) text += `\x1b[${i + 1};1H${line}\x1b[K`;
    });
    if (screen.length < shown.length) text += `\x1b[${screen.length + 1};1H\x1b[J`;
    shown = screen;
    if (text) opts.write(text);
  };

  return {
    onResult(result) {
      const before = latest.get(result.check);
      latest.set(result.check, result);
      if (!opts.isTTY && (!before || resultState(before) !== resultState(result))) {
        opts.write(`${result.ts.toISOString()} ${result.check} ${resultState(result)} ${Math.round(result.latencyMs)} ms ${resultSummary(result)}\n`);
      }
    },
    invalidate() {
      size = '';
    },
    async start(signal) {
      if (!opts.isTTY) {
        opts.write(opts.header.join('\n') + '\n');
        return;
      }
      while (!signal.aborted) {
        draw(); // writes only the rows that changed ("ago" moves every second)
        await opts.clock.sleep(1000, signal);
      }
      // Leave the cursor under the screen, visible, for the lines that follow.
      opts.write(`\x1b[${shown.length + 1};1H\x1b[?25h\n`);
    },
  };
}
