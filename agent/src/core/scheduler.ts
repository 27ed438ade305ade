import type { CheckSpecBase } from '../checks/types.ts';
import type { CheckResult, Clock, Logger } from './types.ts';

export interface ScheduledCheck {
  spec: CheckSpecBase;
  run(signal: AbortSignal): Promise<CheckResult>;
}

/**
 * Runs not recorded, by reason: the previous run was still going, the start was already late (both counted by the
 * scheduler), or the run came out slow or timed out while the agent's own event loop lagged (counted by the agent).
 */
export interface SkippedRuns {
  overlap: number;
  late: number;
  overloaded: number;
}

export interface SchedulerOptions {
  checks: ScheduledCheck[];
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  onResult: (result: CheckResult) => void;
  /**
   * A start later than this (default: half the interval, at least 1 s) is skipped and counted: the agent is behind,
   * and a run started that late would measure the agent rather than the target.
   */
  lateAfterMs?: (intervalMs: number) => number;
  /** Told of every skipped run (the agent counts them for /metrics and agent.tick). */
  onSkip?: (check: string, reason: keyof SkippedRuns) => void;
  /** Told how late each wake-up of the scheduler came, in ms (the event loop's lag). */
  onLag?: (lagMs: number) => void;
}

interface Entry {
  check: ScheduledCheck;
  intervalMs: number;
  next: number;
  running: boolean;
}

/** A binary min-heap of entries by their next start. */
function createQueue() {
  const heap: Entry[] = [];
  const less = (a: number, b: number) => heap[a].next < heap[b].next;
  const swap = (a: number, b: number) => ([heap[a], heap[b]] = [heap[b], heap[a]]);
  return {
    peek: () => heap[0],
    push(e: Entry) {
      heap.push(e);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!less(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    },
    pop(): Entry {
      const top = heap[0];
      const last = heap.pop()!;
      if (heap.length) {
        heap[0] = last;
        for (let i = 0; ;) {
          const l = 2 * i + 1, r = l + 1;
          let m = i;
          if (l < heap.length && less(l, m)) m = l;
          if (r < heap.length && less(r, m)) m = r;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
      return top;
    },
  };
}

/**
 * Every check on its own interval from one timer queue, so a slow or hung check never delays another and a
 * thousand checks cost one timer, not a thousand. Starts are spread evenly over the interval (no thundering herd);
 * the period does not drift because the next start is computed from the schedule, not from when the last run
 * ended; a check whose previous run is still going skips that tick instead of overlapping (the runner's timeout
 * bounds every run). Skipped ticks are counted and summed up in the log at most every 30 s.
 */
export function startScheduler(opts: SchedulerOptions): Promise<void> {
  const { clock, log, signal } = opts;
  const count = opts.checks.length;
  const lateAfter = opts.lateAfterMs ?? ((intervalMs: number) => Math.max(1000, intervalMs / 2));
  const queue = createQueue();
  const start = clock.monotonic();
  opts.checks.forEach((check, index) => {
    const intervalMs = check.spec.intervalSec * 1000;
    const offsetMs = count > 1 ? Math.floor((intervalMs * index) / count) : 0;
    queue.push({ check, intervalMs, next: start + offsetMs, running: false });
  });
  const inflight = new Set<Promise<void>>();
  const skipped = { overlap: 0, late: 0 };
  const skippedChecks = new Set<string>();
  let lastSkipLog = -Infinity;

  function skip(e: Entry, reason: 'overlap' | 'late') {
    skipped[reason] += 1;
    skippedChecks.add(e.check.spec.name);
    opts.onSkip?.(e.check.spec.name, reason);
  }

  function launch(e: Entry) {
    e.running = true;
    // The run listens to the scheduler's own signal: on shutdown the runner aborts what is in flight.
    const done: Promise<void> = e.check.run(signal).then(
      (result) => {
        // A run cut short by shutdown says nothing about the target: keep it only if it passed.
        if (!signal.aborted || result.ok) opts.onResult(result);
      },
      (err) => log.error('check run crashed', { check: e.check.spec.name, reason: String((err as Error)?.message ?? err) }),
    ).finally(() => {
      e.running = false;
      inflight.delete(done);
    });
    inflight.add(done);
  }

  function reportSkips(now: number) {
    if (now - lastSkipLog < 30_000 || skipped.overlap + skipped.late === 0) return;
    const checks = [...skippedChecks];
    log.warn('runs skipped: previous run still going, or the agent too far behind to start on time', {
      overlap: skipped.overlap, late: skipped.late, checks: checks.length, examples: checks.slice(0, 5).join(','),
    });
    skipped.overlap = 0;
    skipped.late = 0;
    skippedChecks.clear();
    lastSkipLog = now;
  }

  return (async () => {
    if (count === 0) return;
    let expectedWake = clock.monotonic();
    while (!signal.aborted) {
      const now = clock.monotonic();
      opts.onLag?.(Math.max(0, now - expectedWake));
      while (queue.peek().next <= now) {
        const e = queue.pop();
        const late = now - e.next;
        if (e.running) skip(e, 'overlap');
        else if (late > lateAfter(e.intervalMs)) skip(e, 'late');
        else launch(e);
        e.next += e.intervalMs;
        if (e.next <= now) e.next += Math.ceil((now - e.next) / e.intervalMs) * e.intervalMs;
        queue.push(e);
      }
      reportSkips(now);
      expectedWake = queue.peek().next;
      const wait = expectedWake - clock.monotonic();
      if (wait > 0) await clock.sleep(wait, signal);
    }
    await Promise.all(inflight);
  })();
}
