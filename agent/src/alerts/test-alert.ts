// `test-alert` and the alert.test intent: sends a test message to each configured channel (or one) right
// away and reports the HTTP outcome of each; every attempt is also recorded in the outbox as kind 'test'.
import type { Clock } from '../core/types.ts';
import type { IncidentStore } from '../incidents/store.ts';
import type { ChannelDirectory } from './directory.ts';
import { formatAlert } from './format.ts';

export interface TestAlertOutcome {
  channel: string;
  kind: string;
  ok: boolean;
  http_status?: number;
  error?: string;
}

export async function sendTestAlerts(deps: {
  channels: Pick<ChannelDirectory, 'list'>;
  clock: Clock;
  /** Where each attempt is recorded (the outbox, as kind 'test'). */
  store?: Pick<IncidentStore, 'recordTestAlert'>;
  /** Only this channel; all configured channels when absent. */
  channel?: string;
  signal?: AbortSignal;
}): Promise<TestAlertOutcome[]> {
  const all = await deps.channels.list();
  const targets = deps.channel ? all.filter((c) => c.name === deps.channel) : all.filter((c) => c.enabled);
  if (deps.channel && targets.length === 0) {
    return [{ channel: deps.channel, kind: 'unknown', ok: false, error: `no channel named ${deps.channel} is configured` }];
  }
  const outcomes = await Promise.all(targets.map(async (channel): Promise<TestAlertOutcome> => {
    const problems = channel.validate();
    if (problems.length) return { channel: channel.name, kind: channel.kind, ok: false, error: problems.join('; ') };
    const at = deps.clock.now();
    const text = formatAlert({ kind: 'test', severity: 'info', check: 'test', condition: 'down', at: at.toISOString(), channel: channel.name }, channel.language);
    const result = await channel.send({ text }, deps.signal);
    const outcome: TestAlertOutcome = { channel: channel.name, kind: channel.kind, ok: result.ok };
    if (result.httpStatus !== undefined) outcome.http_status = result.httpStatus;
    if (result.error) outcome.error = result.error;
    await deps.store?.recordTestAlert({ at, channel: channel.name, text, ok: result.ok, error: result.error, httpStatus: result.httpStatus });
    return outcome;
  }));
  return outcomes;
}
