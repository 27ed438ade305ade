import type { CheckSpecBase } from '../checks/types.ts';
import type { CheckResult, Clock, Logger } from './types.ts';

export interface ScheduledCheck {
  spec: CheckSpecBase;
  run(signal: AbortSignal): Promise<CheckResult>;
}

/**
 * Every check on its own interval, in its own loop, so a slow or hung check never delays another.
 * Starts are spread evenly over the interval (no thundering herd); the period does not drift because
 * the next start is computed from the schedule, not from when the last run ended; a check whose previous
 * run is still going skips that tick instead of overlapping (the runner's timeout bounds every run).
 */
export function startScheduler(opts: {
  checks: ScheduledCheck[];
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  onResult: (result: CheckResult) => void;
}): Promise<void> {
  const { clock, log, signal } = opts;
  const count = opts.checks.length;
  const loops = opts.checks.map(async (check, index) => {
    const intervalMs = check.spec.intervalSec * 1000;
    const offsetMs = count > 1 ? Math.floor((intervalMs * index) / count) : 0;
    let next = clock.monotonic() + offsetMs;
    let running: Promise<unknown> | null = null;
    while (!signal.aborted) {
      const wait = next - clock.monotonic();
      if (wait > 0) await clock.sleep(wait, signal);
      if (signal.aborted) break;
      if (running) {
        log.warn('previous run still going: skipping this tick', { check: check.spec.name });
      } else {
        running = check.run(signal).then(
          (result) => {
            // A run cut short by shutdown says nothing about the target: keep it only if it passed.
            if (!signal.aborted || result.ok) opts.onResult(result);
          },
          (err) => log.error('check run crashed', { check: check.spec.name, reason: String((err as Error)?.message ?? err) }),
        ).finally(() => { running = null; });
      }
      next += intervalMs;
      const behind = clock.monotonic() - next;
      if (behind > 0) next += Math.ceil(behind / intervalMs) * intervalMs;
    }
    if (running) await running;
  });
  return Promise.all(loops).then(() => undefined);
}
