// The outbox worker: delivers monitor_notifications rows, at least once and in order per incident and channel.
//
//   const notifier = createNotifier({ store, clock, log, channels });
//   await notifier.runOnce();        // deliver what is due now (tests, `once`)
//   notifier.start(signal);          // loop until the signal aborts
//
// A row is claimed by moving it to 'sending' with a lease (FOR UPDATE SKIP LOCKED, so several agents never
// claim the same row). A 'sending' row whose lease ran out (its agent died) is claimed again. The one
// duplicate this cannot rule out: an agent that dies after the channel accepted a message and before it
// wrote 'sent'. The window is the time between the HTTP response and one UPDATE; docs/alerts.md says more.
import type { Clock, Logger } from '../core/types.ts';
import type { ClaimedNotification, IncidentStore } from '../incidents/store.ts';
import type { ChannelDirectory } from './directory.ts';
import { redactSecrets } from './redact.ts';

export interface NotifierOptions {
  /** How long a claimed row belongs to this agent before another may retry it (default 60 s). */
  leaseMs?: number;
  /** Attempts before a row is marked failed (default 12: about an hour of retries with the default backoff). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt up to maxBackoffMs (defaults 5 s and 15 min). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Rows claimed per round (default 20). */
  batchSize?: number;
  /** Pause between rounds in start() (default 2 s). */
  pollMs?: number;
}

export interface DeliveryReport {
  sent: number;
  retrying: number;
  failed: number;
}

/** Delay before attempt n+1 (n ≥ 1): base · 2^(n-1), capped; a channel's retry_after wins when longer. */
export function backoffMs(attempts: number, base: number, max: number, retryAfterSec?: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
  return Math.max(exp, (retryAfterSec ?? 0) * 1000);
}

export function createNotifier(deps: {
  store: IncidentStore;
  clock: Clock;
  log: Logger;
  channels: ChannelDirectory;
  options?: NotifierOptions;
}) {
  const { store, clock, log } = deps;
  const o = {
    leaseMs: 60_000, maxAttempts: 12, baseBackoffMs: 5000, maxBackoffMs: 15 * 60_000, batchSize: 20, pollMs: 2000,
    ...deps.options,
  };

  async function deliver(row: ClaimedNotification, signal?: AbortSignal): Promise<'sent' | 'retrying' | 'failed'> {
    const channel = (await deps.channels.list()).find((c) => c.name === row.channel);
    const firstLine = row.text.split('\n')[0];
    let result;
    if (!channel) result = { ok: false, error: `channel ${row.channel} is no longer configured` };
    else if (!channel.enabled) result = { ok: false, error: `channel ${row.channel} is disabled` };
    else result = await channel.send({ text: row.text }, signal);
    const now = clock.now();
    const error = result.error ? redactSecrets(result.error) : null;
    const status = result.httpStatus ?? null;
    if (result.ok) {
      await store.markSent(row, now, status, `${row.kind} sent to ${row.channel}: ${firstLine}`);
      log.info('alert sent', { channel: row.channel, kind: row.kind, incident: row.incidentId, attempts: row.attempts });
      return 'sent';
    }
    // A 4xx other than 408/429 (bad token, unknown chat, revoked webhook) will not heal by retrying.
    const rejected = result.httpStatus !== undefined && result.httpStatus >= 400 && result.httpStatus < 500 &&
      result.httpStatus !== 408 && result.httpStatus !== 429;
    const permanent = !channel || !channel.enabled || rejected;
    if (permanent || row.attempts >= o.maxAttempts) {
      await store.markFailed(row, now, error, status, `${row.kind} to ${row.channel} failed after ${row.attempts} attempt(s): ${error}`);
      log.error('alert delivery failed', { channel: row.channel, kind: row.kind, attempts: row.attempts, error });
      return 'failed';
    }
    const delay = backoffMs(row.attempts, o.baseBackoffMs, o.maxBackoffMs, result.retryAfterSec);
    await store.markRetry(row, now, delay, error, status);
    log.warn('alert delivery will be retried', { channel: row.channel, kind: row.kind, attempts: row.attempts, retry_in_ms: delay, error });
    return 'retrying';
  }

  async function runOnce(signal?: AbortSignal): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, retrying: 0, failed: 0 };
    for (;;) {
      const rows = await store.claimNotifications(clock.now(), o.leaseMs, o.batchSize);
      if (rows.length === 0) return report;
      // Rows of one incident and channel are delivered one after the other, in id order.
      for (const row of rows) {
        if (signal?.aborted) return report;
        report[await deliver(row, signal)] += 1;
      }
    }
  }

  function start(signal: AbortSignal): Promise<void> {
    return (async () => {
      while (!signal.aborted) {
        try {
          await runOnce(signal);
        } catch (err) {
          log.error('alert delivery round failed', { error: redactSecrets((err as Error).message) });
        }
        await clock.sleep(o.pollMs, signal);
      }
    })();
  }

  return { runOnce, start };
}
