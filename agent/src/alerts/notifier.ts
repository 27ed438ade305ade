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
import type { SendResult } from './channel.ts';
import type { ChannelDirectory } from './directory.ts';
import { planGrouping, type Batch, type GroupingOptions, type GroupingPlan, type GroupingStore } from './grouping.ts';
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
  /** One message for incidents opening together on one target (ALERT_GROUP_WINDOW, ALERT_GROUP_BY); off without it or at 0. */
  grouping?: { store: GroupingStore; options: GroupingOptions };
}) {
  const { store, clock, log } = deps;
  const o = {
    leaseMs: 60_000, maxAttempts: 12, baseBackoffMs: 5000, maxBackoffMs: 15 * 60_000, batchSize: 20, pollMs: 2000,
    ...deps.options,
  };

  /** Sends one text (a row's own, or a group's) and settles every row it stands for. */
  async function deliver(batch: Batch, signal?: AbortSignal): Promise<Array<'sent' | 'retrying' | 'failed'>> {
    const text = batch.text ?? batch.rows[0].text;
    const channel = (await deps.channels.list()).find((c) => c.name === batch.rows[0].channel);
    let result: SendResult;
    if (!channel) result = { ok: false, error: `channel ${batch.rows[0].channel} is no longer configured` };
    else if (!channel.enabled) result = { ok: false, error: `channel ${batch.rows[0].channel} is disabled` };
    else result = await channel.send({ text }, signal);
    const outcomes: Array<'sent' | 'retrying' | 'failed'> = [];
    for (const row of batch.rows) outcomes.push(await settle(row, text, result, Boolean(channel?.enabled), batch));
    return outcomes;
  }

  async function settle(row: ClaimedNotification, text: string, result: SendResult, usable: boolean, batch: Batch): Promise<'sent' | 'retrying' | 'failed'> {
    const grouped = batch.rows.length > 1 ? ` (one message for ${batch.rows.length} incidents)` : '';
    const firstLine = text.split('\n')[0];
    const now = clock.now();
    const error = result.error ? redactSecrets(result.error) : null;
    const status = result.httpStatus ?? null;
    if (result.ok) {
      await store.markSent(row, now, status, `${row.kind} sent to ${row.channel}${grouped}: ${firstLine}`);
      if (grouped) await deps.grouping?.store.markGrouped(row.id, text, batch.mark);
      log.info('alert sent', { channel: row.channel, kind: row.kind, incident: row.incidentId, attempts: row.attempts });
      return 'sent';
    }
    // A 4xx other than 408/429 (bad token, unknown chat, revoked webhook) will not heal by retrying.
    const rejected = result.httpStatus !== undefined && result.httpStatus >= 400 && result.httpStatus < 500 &&
      result.httpStatus !== 408 && result.httpStatus !== 429;
    const permanent = !usable || rejected;
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
      const g = deps.grouping;
      const plan: GroupingPlan = g && g.options.windowMs > 0
        ? await planGrouping(g.store, rows, clock.now(), g.options)
        : { hold: [], batches: rows.map((row) => ({ rows: [row] })) };
      for (const { row, until } of plan.hold) await g!.store.hold(row.id, until);
      // Rows of one incident and channel are delivered one after the other, in id order.
      for (const batch of plan.batches) {
        if (signal?.aborted) return report;
        for (const outcome of await deliver(batch, signal)) report[outcome] += 1;
      }
      if (plan.batches.length === 0) return report;
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

export type Notifier = ReturnType<typeof createNotifier>;
