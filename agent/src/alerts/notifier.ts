// The outbox worker: delivers monitor_notifications rows, at least once and in order per incident and channel.
//
//   const notifier = createNotifier({ db, clock, log, channels });
//   await notifier.runOnce();        // deliver what is due now (tests, `once`)
//   notifier.start(signal);          // loop until the signal aborts
//
// Each channel is delivered by its own loop, concurrently, so a hanging channel delays only itself. A loop claims
// one row at a time, just before sending it, by moving it to 'sending' with a lease longer than a send can take
// (FOR UPDATE SKIP LOCKED, so several agents never claim the same row); a 'sending' row whose lease ran out
// (its agent died mid-send) is claimed again. The one duplicate this cannot rule out: an agent that dies while
// a message is in flight, after the channel accepted it and before 'sent' is written. Only that message, one
// per channel at most, can repeat, once its lease runs out; docs/alerts.md gives the window.
import type { Clock, Logger, Queryable } from '../core/types.ts';
import { DEFAULT_CHANNEL_TIMEOUT_MS } from './channel.ts';
import type { ChannelDirectory } from './directory.ts';
import { redactSecrets } from './redact.ts';

export interface NotifierOptions {
  /** How long a claimed row belongs to this agent before another may retry it: longer than one send may take
   *  (default the channel timeout, 10 s, plus 5 s). */
  leaseMs?: number;
  /** Attempts before a row is marked failed (default 12: about an hour of retries with the default backoff). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt up to maxBackoffMs (defaults 5 s and 15 min). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
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

/** An update after sending applies only while this agent still holds the claim it sent under. */
const STILL_OURS = `status = 'sending' AND attempts = $4`;

export function createNotifier(deps: {
  db: Queryable;
  clock: Clock;
  log: Logger;
  channels: ChannelDirectory;
  options?: NotifierOptions;
}) {
  const { db, clock, log } = deps;
  const o = {
    leaseMs: DEFAULT_CHANNEL_TIMEOUT_MS + 5000, maxAttempts: 12, baseBackoffMs: 5000, maxBackoffMs: 15 * 60_000, pollMs: 2000,
    ...deps.options,
  };

  /** Channels with a row due now. */
  async function dueChannels(now: Date): Promise<string[]> {
    const { rows } = await db.query<{ channel: string }>(
      `SELECT DISTINCT channel FROM monitor_notifications WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1`, [now]);
    return rows.map((r) => r.channel).sort();
  }

  /** The oldest due row of one channel, claimed for one send; rows of an incident go out in order. */
  async function claimOne(now: Date, channel: string): Promise<ClaimedRow | undefined> {
    const { rows } = await db.query<ClaimedRow>(
      `UPDATE monitor_notifications n
       SET status = 'sending', attempts = n.attempts + 1,
           next_attempt_at = $1::timestamptz + make_interval(secs => $2::double precision / 1000)
       WHERE n.id = (
         SELECT c.id FROM monitor_notifications c
         WHERE c.channel = $3 AND c.status IN ('pending', 'sending') AND c.next_attempt_at <= $1
           AND NOT EXISTS (
             SELECT 1 FROM monitor_notifications e
             WHERE e.incident_id = c.incident_id AND e.channel = c.channel AND e.id < c.id
               AND e.status IN ('pending', 'sending'))
         ORDER BY c.id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING n.id, n.incident_id, n.channel, n.kind, n.attempts, n.payload`,
      [now, o.leaseMs, channel]);
    return rows[0];
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
        `UPDATE monitor_notifications SET status = 'sent', sent_at = $2, http_status = $3, last_error = NULL
         WHERE id = $1 AND ${STILL_OURS}`,
        [row.id, now, result.httpStatus ?? null, row.attempts]);
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
        `UPDATE monitor_notifications SET status = 'failed', last_error = $2, http_status = $3 WHERE id = $1 AND ${STILL_OURS}`,
        [row.id, error, result.httpStatus ?? null, row.attempts]);
      await timeline(row, 'notify_failed', `${row.kind} to ${row.channel} failed after ${row.attempts} attempt(s): ${error}`,
        { notification_id: Number(row.id), http_status: result.httpStatus ?? null, attempts: row.attempts });
      log.error('alert delivery failed', { channel: row.channel, kind: row.kind, attempts: row.attempts, error });
      return 'failed';
    }
    const delay = backoffMs(row.attempts, o.baseBackoffMs, o.maxBackoffMs, result.retryAfterSec);
    await db.query(
      `UPDATE monitor_notifications SET status = 'pending', last_error = $2, http_status = $3,
         next_attempt_at = $5::timestamptz + make_interval(secs => $6::double precision / 1000)
       WHERE id = $1 AND ${STILL_OURS}`,
      [row.id, error, result.httpStatus ?? null, row.attempts, now, delay]);
    log.warn('alert delivery will be retried', { channel: row.channel, kind: row.kind, attempts: row.attempts, retry_in_ms: delay, error });
    return 'retrying';
  }

  /** One channel's due rows, one claim and one send at a time. */
  async function runChannel(channel: string, report: DeliveryReport, signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted) {
      const row = await claimOne(clock.now(), channel);
      if (!row) return;
      report[await deliver(row, signal)] += 1;
    }
  }

  async function runOnce(signal?: AbortSignal): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, retrying: 0, failed: 0 };
    // Every channel at once: a hanging channel delays only its own messages.
    await Promise.all((await dueChannels(clock.now())).map((channel) => runChannel(channel, report, signal)));
    return report;
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

export type Notifier = ReturnType<typeof createNotifier>;
