// Applies what Grafana asks for. The plugin only INSERTs into monitor_intents; an AFTER INSERT trigger
// notifies 'monitor_intents', and this processor LISTENs (polling as the fallback), validates each intent,
// applies it in the same transaction that marks it applied, or rejects it with a reason and changes nothing.
//
//   const intents = createIntentProcessor({ db: pool, listen: () => connectedClient(), clock, log, channels, agentKey, alertEnv, store });
//   intents.start(signal);          // SLO defaults from env, then LISTEN + poll every 5 s until the signal aborts
//   await intents.processPending(); // apply everything pending now (tests, `once`)
import type { Clock, Logger, Queryable } from '../core/types.ts';
import { rememberSecret } from '../core/secrets.ts';
import {
  channelSecretContext, checkChannelSecret, IntentRejected, isIntentKind, parseIntent, reject, type AgentKey, type IntentKind,
  type IntentPayload,
} from '@blocktrust-monitor/contract';
import { envChannelSpecs, type AlertEnv, type ChannelDirectory } from '../alerts/directory.ts';
import { sendTestAlerts } from '../alerts/test-alert.ts';
import type { Effect, Incident } from '../incidents/model.ts';
import { decideAcknowledge, decideManualResolve, decideNote, decideUnacknowledge, PolicyRefusal } from '../incidents/policy.ts';
import { createPgIncidentStore, type IncidentStore, type StoreDeps } from '../incidents/store.ts';
import { inTransaction, type TransactionalDb } from '../incidents/tx.ts';
import type { Channel } from '../alerts/channel.ts';
import { syncCheckTargets, syncSloDefaults, type CheckTargets, type SloDefaults } from '../slo/targets.ts';
import { redactSecrets } from '../alerts/redact.ts';

/** A dedicated connection for LISTEN (a connected pg.Client). */
export interface ListenConnection {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  end(): Promise<void>;
}

export interface IntentProcessorDeps {
  db: TransactionalDb;
  /** Opens a dedicated connection for LISTEN; without it the processor only polls. */
  listen?: () => Promise<ListenConnection>;
  clock: Clock;
  log: Logger;
  channels: ChannelDirectory;
  /** Opens sealed channel secrets; without MONITOR_SECRET_KEY, channel.upsert with a secret is rejected. */
  agentKey?: AgentKey;
  /** The environment's alert settings: channels named like an env channel may keep the env secret. */
  alertEnv: AlertEnv;
  /** Where incidents live; incident.* intents are applied through it, inside the intent's transaction. */
  store?: IncidentStore;
  /** Without a store: the links the Postgres store puts in alerts. */
  links?: StoreDeps['links'];
  /** SLO_UPTIME_TARGET, SLO_LATENCY_MS, MAX_LISTENER_LAG_SEC: written to the '*' row at start (unless set from
   *  Grafana) and again after slo.delete of '*'. */
  sloDefaults?: SloDefaults;
  /** The checks file's per-check objectives (latency_slo_ms, uptime_target, max_lag_sec): written at start to
   *  monitor_check_targets, the layer between a check's Grafana row and the '*' row. */
  checkTargets?: CheckTargets[];
  /** Called once SLO targets changed (at start and after slo.set / slo.delete), so the agent's cache follows. */
  onTargetsChanged?: () => Promise<void>;
  /** Poll interval (default 5 s). */
  pollMs?: number;
}

interface IntentRow {
  id: string;
  author: string;
  kind: string;
  payload: unknown;
}

/** Once processed, an intent keeps a marker where its sealed secret was: Grafana reads nothing derived from it. */
export const SEALED_SECRET_MARKER = 'sealed secret removed once processed';
const WITHOUT_SEALED_SECRET = `CASE WHEN jsonb_typeof(payload) = 'object' AND payload ? 'secret_sealed'
  THEN jsonb_set(payload, '{secret_sealed}', to_jsonb('${SEALED_SECRET_MARKER}'::text)) ELSE payload END`;

type Handlers = {
  [K in IntentKind]: (tx: Queryable, payload: IntentPayload<K>, intent: IntentRow) => Promise<Record<string, unknown>>;
};

export function createIntentProcessor(deps: IntentProcessorDeps) {
  const { db, clock, log } = deps;
  const incidents = deps.store ?? createPgIncidentStore(db, { clock, links: deps.links ?? {} });
  /** The channel directory as read before the intent's transaction began. */
  let channelList: readonly Channel[] = [];

  async function incidentFor(store: IncidentStore, incidentId: number): Promise<Incident> {
    const incident = await store.incident(incidentId);
    if (!incident) reject(`incident_id: there is no incident ${incidentId}`);
    return incident!;
  }

  /** Load → decide → apply, inside the intent's transaction; a policy refusal becomes the intent's rejection. */
  async function incidentIntent(tx: Queryable, incidentId: number, decide: (incident: Incident) => Effect[]) {
    const store = incidents.within(tx);
    const incident = await incidentFor(store, incidentId);
    let effects: Effect[];
    try {
      effects = decide(incident);
    } catch (err) {
      if (err instanceof PolicyRefusal) reject(err.message);
      throw err;
    }
    await store.apply(effects!, { channels: channelList });
    return { incident_id: incident.id };
  }

  const handlers: Handlers = {
    'incident.ack': (tx, p, intent) => incidentIntent(tx, p.incident_id, (i) => decideAcknowledge(i, intent.author, clock.now())),
    'incident.unack': (tx, p, intent) => incidentIntent(tx, p.incident_id, (i) => decideUnacknowledge(i, intent.author, clock.now())),
    'incident.resolve': (tx, p, intent) =>
      incidentIntent(tx, p.incident_id, (i) => decideManualResolve(i, intent.author, clock.now(), p.comment)),
    'incident.note': (tx, p, intent) =>
      incidentIntent(tx, p.incident_id, (i) => decideNote(i, intent.author, clock.now(), p.text, p.postmortem_url)),

    async 'slo.set'(tx, p, intent) {
      const { check_name: check, uptime_target: uptime, latency_ms: latency, max_lag_sec: lag } = p;
      const { rows } = await tx.query(
        `INSERT INTO monitor_slo_targets (check_name, uptime_target, latency_ms, max_lag_sec, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (check_name) DO UPDATE SET
           uptime_target = CASE WHEN $7 THEN EXCLUDED.uptime_target ELSE monitor_slo_targets.uptime_target END,
           latency_ms    = CASE WHEN $8 THEN EXCLUDED.latency_ms    ELSE monitor_slo_targets.latency_ms END,
           max_lag_sec   = CASE WHEN $9 THEN EXCLUDED.max_lag_sec   ELSE monitor_slo_targets.max_lag_sec END,
           updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
         RETURNING check_name, uptime_target, latency_ms, max_lag_sec`,
        [check, uptime ?? null, latency ?? null, lag ?? null, clock.now(), intent.author,
          uptime !== undefined, latency !== undefined, lag !== undefined]);
      const row = rows[0];
      return {
        check_name: row.check_name, uptime_target: row.uptime_target === null ? null : Number(row.uptime_target),
        latency_ms: row.latency_ms, max_lag_sec: row.max_lag_sec,
      };
    },
    async 'slo.delete'(tx, p) {
      const check = p.check_name;
      const { rowCount } = await tx.query(`DELETE FROM monitor_slo_targets WHERE check_name = $1`, [check]);
      if (!rowCount) reject(`check_name: no SLO targets are set for ${check}`);
      if (check === '*' && deps.sloDefaults) await syncSloDefaults(tx, deps.sloDefaults, clock.now());
      return { check_name: check, restored_from_env: check === '*' && Boolean(deps.sloDefaults) };
    },

    async 'channel.upsert'(tx, p, intent) {
      const { name, kind, chat_id: chat, secret_sealed: sealed, secret_reset: reset } = p;
      if (sealed) {
        if (!deps.agentKey) reject('secret_sealed: this agent has no MONITOR_SECRET_KEY, so it cannot open sealed secrets');
        let plaintext: string;
        try {
          plaintext = await deps.agentKey!.open(sealed, channelSecretContext(name));
          rememberSecret(plaintext);
        } catch (err) {
          return reject(`secret_sealed: ${(err as Error).message}`);
        }
        checkChannelSecret(kind, plaintext);
      }
      const existing = (await tx.query<{ kind: string; secret_sealed: string | null }>(
        `SELECT kind, secret_sealed FROM monitor_channels WHERE name = $1 FOR UPDATE`, [name])).rows[0];
      const kept = existing && existing.kind === kind ? existing.secret_sealed : null;
      const secret = reset ? null : sealed ?? kept;
      const envSpec = envChannelSpecs(deps.alertEnv).find((s) => s.name === name && s.kind === kind);
      if (!secret && !envSpec) {
        reject(kind === 'slack'
          ? `channel ${name} has no secret: give its Slack webhook URL`
          : `channel ${name} has no secret: give its Telegram bot token`);
      }
      if (kind === 'telegram' && !chat && !envSpec?.chatId) reject('chat_id: required for a Telegram channel');
      await tx.query(
        `INSERT INTO monitor_channels (name, kind, enabled, min_severity, language, chat_id, secret_sealed, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, enabled = EXCLUDED.enabled, min_severity = EXCLUDED.min_severity,
           language = EXCLUDED.language, chat_id = EXCLUDED.chat_id, secret_sealed = EXCLUDED.secret_sealed,
           updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
        [name, kind, p.enabled, p.min_severity, p.language, chat ?? null, secret, clock.now(), intent.author]);
      return { name, secret_configured: Boolean(secret), secret_from_env: !secret && Boolean(envSpec) };
    },
    async 'channel.delete'(tx, p) {
      const { name } = p;
      const { rowCount } = await tx.query(`DELETE FROM monitor_channels WHERE name = $1`, [name]);
      if (!rowCount) {
        const fromEnv = envChannelSpecs(deps.alertEnv).some((s) => s.name === name);
        reject(fromEnv ? `channel ${name} comes from the environment; disable it there, or upsert it with enabled = false`
          : `name: there is no channel ${name}`);
      }
      return { name };
    },

    async 'silence.create'(tx, p, intent) {
      const now = clock.now();
      if (p.ends_at <= now) reject('ends_at: must be in the future');
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO monitor_silences (check_pattern, severity, starts_at, ends_at, author, comment, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [p.check_pattern, p.severity ?? null, p.starts_at ?? now, p.ends_at, intent.author, p.comment ?? null, now]);
      return { id: Number(rows[0].id) };
    },
    async 'silence.expire'(tx, p) {
      const silenceId = p.id;
      const now = clock.now();
      const { rows } = await tx.query<{ starts_at: Date; ends_at: Date }>(`SELECT starts_at, ends_at FROM monitor_silences WHERE id = $1 FOR UPDATE`, [silenceId]);
      if (!rows.length) reject(`id: there is no silence ${silenceId}`);
      if (rows[0].ends_at <= now) reject(`silence ${silenceId} has already ended`);
      if (rows[0].starts_at >= now) await tx.query(`DELETE FROM monitor_silences WHERE id = $1`, [silenceId]);
      else await tx.query(`UPDATE monitor_silences SET ends_at = $2 WHERE id = $1`, [silenceId, now]);
      return { id: silenceId };
    },

    async 'maintenance.create'(tx, p, intent) {
      if (!p.recurrence && p.ends_at <= clock.now()) reject('ends_at: the window is already over');
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, recurrence, recurrence_until, reason, author, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [p.check_pattern, p.starts_at, p.ends_at, p.recurrence ?? null, p.recurrence_until ?? null, p.reason ?? null, intent.author, clock.now()]);
      return { id: Number(rows[0].id) };
    },
    async 'maintenance.delete'(tx, p) {
      const windowId = p.id;
      const { rowCount } = await tx.query(`DELETE FROM monitor_maintenance_windows WHERE id = $1`, [windowId]);
      if (!rowCount) reject(`id: there is no maintenance window ${windowId}`);
      return { id: windowId };
    },

    async 'alert.test'(tx, p) {
      const { channel } = p;
      if (channel && !channelList.some((c) => c.name === channel)) reject(`channel: there is no channel ${channel}`);
      const outcomes = await sendTestAlerts({ channels: { list: async () => [...channelList] }, clock, store: incidents.within(tx), channel });
      if (!outcomes.length) reject('no alert channel is configured');
      return { channels: outcomes.map(({ kind: _kind, ...o }) => o) };
    },
  };

  const CHANGES_CHANNELS = new Set(['channel.upsert', 'channel.delete']);

  function apply<K extends IntentKind>(tx: Queryable, kind: K, intent: IntentRow) {
    return handlers[kind](tx, parseIntent(kind, intent.payload), intent);
  }

  /** Takes the oldest pending intent and applies or rejects it; false when none was pending. */
  async function processOne(): Promise<boolean> {
    let done: { intent: IntentRow; status: string; reason?: string } | undefined;
    channelList = await deps.channels.list();
    const found = await inTransaction(db, async (tx) => {
      const { rows } = await tx.query<IntentRow>(
        `SELECT id, author, kind, payload FROM monitor_intents WHERE status = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`);
      if (!rows.length) return false;
      const intent = rows[0];
      await tx.query('SAVEPOINT apply_intent');
      try {
        if (!isIntentKind(intent.kind)) throw new IntentRejected(`kind: unknown intent ${intent.kind}`);
        const result = await apply(tx, intent.kind, intent);
        await tx.query(`UPDATE monitor_intents SET status = 'applied', result = $2, applied_at = $3, reason = NULL,
           payload = ${WITHOUT_SEALED_SECRET} WHERE id = $1`,
          [intent.id, JSON.stringify(result), clock.now()]);
        done = { intent, status: 'applied' };
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT apply_intent');
        const reason = err instanceof IntentRejected
          ? redactSecrets(err.message)
          : `could not apply: ${redactSecrets((err as Error).message)}`;
        if (!(err instanceof IntentRejected)) log.error('intent failed', { intent: Number(intent.id), kind: intent.kind, error: reason });
        await tx.query(`UPDATE monitor_intents SET status = 'rejected', reason = $2, applied_at = $3,
           payload = ${WITHOUT_SEALED_SECRET} WHERE id = $1`,
          [intent.id, reason, clock.now()]);
        done = { intent, status: 'rejected', reason };
      }
      return true;
    });
    if (done) {
      if (CHANGES_CHANNELS.has(done.intent.kind) && done.status === 'applied') deps.channels.invalidate();
      if (done.intent.kind.startsWith('slo.') && done.status === 'applied') await targetsChanged();
      log.info(`intent ${done.status}`, {
        intent: Number(done.intent.id), kind: done.intent.kind, author: done.intent.author, ...(done.reason ? { reason: done.reason } : {}),
      });
    }
    return found;
  }

  async function targetsChanged(): Promise<void> {
    await deps.onTargetsChanged?.().catch((err) => log.warn('cannot read the SLO targets again', { error: redactSecrets((err as Error).message) }));
  }

  async function processPending(): Promise<number> {
    let n = 0;
    while (await processOne()) n += 1;
    return n;
  }

  function start(signal: AbortSignal): Promise<void> {
    const pollMs = deps.pollMs ?? 5000;
    let wake = new AbortController();
    let listener: ListenConnection | undefined;

    async function connectListener() {
      if (!deps.listen || listener) return;
      try {
        const conn = await deps.listen();
        conn.on('notification', (msg) => {
          if (msg.channel === 'monitor_intents') wake.abort();
        });
        conn.on('error', (err) => {
          log.warn('intent listener lost its connection; polling until it is back', { error: redactSecrets(err.message) });
          if (listener === conn) listener = undefined;
          conn.end().catch(() => {});
        });
        await conn.query('LISTEN monitor_intents');
        listener = conn;
      } catch (err) {
        log.warn('cannot LISTEN for intents; polling instead', { error: redactSecrets((err as Error).message) });
      }
    }

    return (async () => {
      if (deps.sloDefaults) {
        await syncSloDefaults(db, deps.sloDefaults, clock.now())
          .catch((err) => log.warn('cannot write the SLO defaults from the environment', { error: redactSecrets((err as Error).message) }));
      }
      if (deps.checkTargets) {
        await syncCheckTargets(db, deps.checkTargets, clock.now())
          .catch((err) => log.warn('cannot write the checks file\'s objectives', { error: redactSecrets((err as Error).message) }));
      }
      await targetsChanged();
      while (!signal.aborted) {
        await connectListener();
        try {
          await processPending();
        } catch (err) {
          log.error('processing intents failed', { error: redactSecrets((err as Error).message) });
        }
        if (signal.aborted) break;
        if (!wake.signal.aborted) await clock.sleep(pollMs, AbortSignal.any([signal, wake.signal]));
        wake = new AbortController();
      }
      await listener?.end().catch(() => {});
    })();
  }

  return { start, processPending };
}

export type IntentProcessor = ReturnType<typeof createIntentProcessor>;
