import { useCallback, useState } from 'react';
import type { IntentKind, IntentOutcome } from '../types';
import { sqlId, sqlJsonb, sqlString } from '../utils/sql';
import { runSql, toJson, toNumber, toText } from './datasource';
import { useDatasourceUid } from './settings';
import { currentUser } from './user';

/** How long the page waits for the agent to apply an intent before saying it is still pending. */
export const intentWaitSettings = { delaysMs: [250, 500, 1000], timeoutMs: 20_000 };

export function insertIntentSql(author: string, kind: IntentKind, payload: Record<string, unknown>): string {
  return (
    'INSERT INTO monitor_intents (author, kind, payload) VALUES ' +
    `(${sqlString(author)}, ${sqlString(kind)}, ${sqlJsonb(payload)}) RETURNING id`
  );
}

export async function submitIntent(
  uid: string,
  author: string,
  kind: IntentKind,
  payload: Record<string, unknown>
): Promise<number> {
  const rows = await runSql(uid, insertIntentSql(author, kind, payload));
  const id = toNumber(rows[0]?.id);
  if (id === null) {
    throw new Error('The change was sent, but the database did not return its id.');
  }
  return id;
}

export async function readIntent(uid: string, id: number): Promise<IntentOutcome> {
  const rows = await runSql(
    uid,
    `SELECT id, status, reason, result::text AS result FROM monitor_intents WHERE id = ${sqlId(id)}`
  );
  const row = rows[0];
  if (!row) {
    throw new Error(`Change #${id} is not in monitor_intents any more.`);
  }
  return {
    id,
    status: (toText(row.status) ?? 'pending') as IntentOutcome['status'],
    reason: toText(row.reason),
    result: toJson(row.result),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the intent until the agent has applied or rejected it, or the wait runs out (status stays pending). */
export async function waitForIntent(uid: string, id: number): Promise<IntentOutcome> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const { delaysMs, timeoutMs } = intentWaitSettings;
    await sleep(delaysMs[Math.min(attempt, delaysMs.length - 1)]);
    const outcome = await readIntent(uid, id);
    if (outcome.status !== 'pending' || Date.now() - started >= timeoutMs) {
      return outcome;
    }
  }
}

export interface IntentRun {
  busy: boolean;
  outcome: IntentOutcome | null;
  error: Error | null;
  run: (kind: IntentKind, payload: Record<string, unknown>) => Promise<IntentOutcome | null>;
  clear: () => void;
}

/** Sends one change to the agent and follows it until the agent answers. */
export function useIntent(): IntentRun {
  const uid = useDatasourceUid();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<IntentOutcome | null>(null);
  const [error, setError] = useState<Error | null>(null);

  const run = useCallback(
    async (kind: IntentKind, payload: Record<string, unknown>) => {
      setBusy(true);
      setOutcome(null);
      setError(null);
      try {
        const id = await submitIntent(uid, currentUser().login, kind, payload);
        const result = await waitForIntent(uid, id);
        setOutcome(result);
        return result;
      } catch (err) {
        setError(err as Error);
        return null;
      } finally {
        setBusy(false);
      }
    },
    [uid]
  );

  const clear = useCallback(() => {
    setOutcome(null);
    setError(null);
  }, []);

  return { busy, outcome, error, run, clear };
}
