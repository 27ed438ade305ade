import type { CheckSpecBase } from '../checks/types.ts';
import type { CheckResult, Clock } from '../core/types.ts';
import { resultState, resultSummary, resultsTable } from './table.ts';

export interface StatusView {
  onResult(result: CheckResult): void;
  start(signal: AbortSignal): Promise<void>;
}

/**
 * The terminal status of `demo`: on a terminal, a table redrawn every second (check, state, latency, when,
 * last error); elsewhere one line whenever a check changes state. `footer()` adds lines under the table.
 */
export function createStatusView(opts: {
  specs: CheckSpecBase[];
  clock: Clock;
  write: (text: string) => void;
  isTTY: boolean;
  columns: () => number;
  header: string;
  footer?: () => string;
}): StatusView {
  const latest = new Map<string, CheckResult>();
  const order = opts.specs.filter((s) => s.enabled).map((s) => s.name);
  let dirty = true;
  const ago = (r: CheckResult) => `${Math.max(0, Math.round((opts.clock.now().getTime() - r.ts.getTime()) / 1000))}s ago`;

  const draw = () => {
    const rows = order.map((name) => latest.get(name)).filter((r): r is CheckResult => Boolean(r));
    const pending = order.filter((name) => !latest.has(name));
    let text = '\x1b[H\x1b[2J' + opts.header + '\n\n' + resultsTable(rows, opts.columns(), ago);
    if (pending.length) text += `waiting for the first run of: ${pending.join(', ')}\n`;
    if (opts.footer) text += '\n' + opts.footer();
    opts.write(text);
  };

  return {
    onResult(result) {
      const before = latest.get(result.check);
      latest.set(result.check, result);
      dirty = true;
      if (!opts.isTTY && (!before || resultState(before) !== resultState(result))) {
        opts.write(`${result.ts.toISOString()} ${result.check} ${resultState(result)} ${Math.round(result.latencyMs)} ms ${resultSummary(result)}\n`);
      }
    },
    async start(signal) {
      if (!opts.isTTY) {
        opts.write(opts.header + '\n');
        return;
      }
      while (!signal.aborted) {
        if (dirty) draw();
        dirty = true; // "ago" columns move every second
        await opts.clock.sleep(1000, signal);
      }
    },
  };
}
