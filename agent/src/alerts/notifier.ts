// The outbox worker: delivers monitor_notifications rows, at least once and in order per incident and channel.
//
//   const notifier = createNotifier({ db, clock, log, channels });
//   await notifier.runOnce();        // deliver what is due now (tests, `once`)
//   notifier.start(signal);          // loop until the signal aborts
//
// A row is claimed by moving it to 'sending' with a lease (FOR UPDATE SKIP LOCKED, so several agents never
// claim the same row). A 'sending' row whose lease ran out (its agent died) is claimed again. The one
// duplicate this cannot rule out: an agent that dies after the channel accepted a message and before it
// wrote 'sent'. The window is the time between the HTTP response and one UPDATE; docs/alerts.md says more.
import type { Clock, Logger, Queryable } from '../core/types.ts';
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

interface ClaimedRow {
  id: string;
  incident_id: string | null;
  channel: string;
  kind: string;
  attempts: number;
  payload: { text?: string };
}

/** Delay before attempt n+1 (n ≥ 1): base · 2^(n-1), capped; a channel's retry_after wins when longer. */
export function backoffMs(attempts: number, base: number, max: number, retryAfterSec?: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
  return Math.max(exp, (retryAfterSec ?? 0) * 1000);
}

export function createNotifier(deps: {
  db: Queryable;
  clock: Clock;
  log: Logger;
  channels: ChannelDirectory;
  options?: NotifierOptions;
}) {
  const { db, clock, log } = deps;
  const o = {
    leaseMs: 60_000, maxAttempts: 12, baseBackoffMs: 5000, maxBackoffMs: 15 * 60_000, batchSize: 20, pollMs: 2000,
    ...deps.options,
  };

  async function claim(now: Date): Promise<ClaimedRow[]> {
    const { rows } = await db.query<ClaimedRow>(
      `UPDATE monitor_notifications n
       SET status = 'sending', attempts = n.attempts + 1,
           next_attempt_at = $1::timestamptz + make_interval(secs => $2::double precision / 1000)
       WHERE n.id IN (
         SELECT c.id FROM monitor_notifications c
         WHERE c.status IN ('pending', 'sending') AND c.next_attempt_at <= $1
           AND NOT EXISTS (
             SELECT 1 FROM monitor_notifications e
             WHERE e.incident_id = c.incident_id AND e.channel = c.channel AND e.id < c.id
               AND e.status IN ('pending', 'sending'))
         ORDER BY c.id
         LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING n.id, n.incident_id, n.channel, n.kind, n.attempts, n.payload`,
      [now, o.leaseMs, o.batchSize]);
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  async function timeline(row: ClaimedRow, kind: 'notified' | 'notify_failed', message: string, details: unknown) {
    if (!row.incident_id) return;
    await db.query(
      `INSERT INTO monitor_incident_events (incident_id, ts, kind, actor, channel, message, details)
       VALUES ($1, $2, $3, 'agent', $4, $5, $6)`,
      [row.incident_id, clock.now(), kind, row.channel, message, JSON.stringify(details)]);
  }

  async function deliver(row: ClaimedRow, signal?: AbortSignal): Promise<'sent' | 'retrying' | 'failed'> {
    const channel = (await deps.channels.list()).find((c) => c.name === row.channel);
    const firstLine = (row.payload.text ?? '').split('\n')[0];
    let result;
    if (!channel) result = { ok: false, error: `channel ${row.channel} is no longer configured` };
    else if (!channel.enabled) result = { ok: false, error: `channel ${row.channel} is disabled` };
    else result = await channel.send({ text: row.payload.text ?? '' }, signal);
    const now = clock.now();
    const error = result.error ? redactSecrets(result.error) : null;
    if (result.ok) {
      await db.query(
        `UPDATE monitor_notifications SET status = 'sent', sent_at = $2, http_status = $3, last_error = NULL WHERE id = $1`,
        [row.id, now, result.httpStatus ?? null]);
      await timeline(row, 'notified', `${row.kind} sent to ${row.channel}: ${firstLine}`,
        { notification_id: Number(row.id), http_status: result.httpStatus ?? null, attempts: row.attempts });
      log.info('alert sent', { channel: row.channel, kind: row.kind, incident: row.incident_id, attempts: row.attempts });
      return 'sent';
    }
    // A 4xx other than 408/429 (bad token, unknown chat, revoked webhook) will not heal by retrying.
    const rejected = result.httpStatus !== undefined && result.httpStatus >= 400 && result.httpStatus < 500 &&
      result.httpStatus !== 408 && result.httpStatus !== 429;
    const permanent = !channel || !channel.enabled || rejected;
    if (permanent || row.attempts >= o.maxAttempts) {
      await db.query(
        `UPDATE monitor_notifications SET status = 'failed', last_error = $2, http_status = $3 WHERE id = $1`,
        [row.id, error, result.httpStatus ?? null]);
      await timeline(row, 'notify_failed', `${row.kind} to ${row.channel} failed after ${row.attempts} attempt(s): ${error}`,
        { notification_id: Number(row.id), http_status: result.httpStatus ?? null, attempts: row.attempts });
      log.error('alert delivery failed', { channel: row.channel, kind: row.kind, attempts: row.attempts, error });
      return 'failed';
    }
    const delay = backoffMs(row.attempts, o.baseBackoffMs, o.maxBackoffMs, result.retryAfterSec);
    await db.query(
      `UPDATE monitor_notifications SET status = 'pending', last_error = $2, http_status = $3,
         next_attempt_at = $4::timestamptz + make_interval(secs => $5::double precision / 1000)
       WHERE id = $1`,
      [row.id, error, result.httpStatus ?? null, now, delay]);
    log.warn('alert delivery will be retried', { channel: row.channel, kind: row.kind, attempts: row.attempts, retry_in_ms: delay, error });
    return 'retrying';
  }

  async function runOnce(signal?: AbortSignal): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, retrying: 0, failed: 0 };
    for (;;) {
      const rows = await claim(clock.now());
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
