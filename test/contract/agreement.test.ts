// The agent and the plugin must never disagree on a shared rule: every name, token, limit and choice below is
// put to each place that judges it (the plugin's forms, the agent's intent schemas, its environment, its checks
// file and check specs, its Telegram channel), and all of them must give the same verdict.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CHANNEL_KINDS, DEFAULTS, intentProblems, INTENT_KINDS, intentSchemas, LANGUAGES, SEVERITIES, TEXT_LIMITS,
} from '@blocktrust-monitor/contract';
import { createTelegramChannel } from '../../agent/src/alerts/telegram.ts';
import { parseCheckSpec } from '../../agent/src/checks/registry.ts';
import { parseChecksFile } from '../../agent/src/config/checks-file.ts';
import { envSchema } from '../../agent/src/config/env.ts';
import {
  validateChannel, validateMaintenance, validateNote, validateSilence, validateSlo, type ChannelForm,
} from '../../plugin/src/utils/validation.ts';

const accepts = (fn: () => unknown): boolean => {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
};
const noErrors = (errors: Record<string, string | undefined>) => Object.values(errors).every((e) => !e);

const CHECK_NAMES: Array<[string, boolean]> = [
  ['api.health', true], ['docs-site', true], ['synthetic.wallet_info', true], ['Docs.Site2', true], ['x', true],
  ['a'.repeat(100), true], ['a'.repeat(101), false], ['API Health', false], ['-leading-dash', false], ['.hidden', false],
  ['api:health', false], ['api/health', false], ['', false], ['api.*', false], ['ünïcode', false],
];

const slack: ChannelForm = {
  name: 'ops-slack', kind: 'slack', enabled: true, minSeverity: 'warn', language: 'en', chatId: '',
  secret: 'https://hooks.slack.com/services/T/B/X', isNew: true,
};
const telegram: ChannelForm = { ...slack, name: 'oncall', kind: 'telegram', chatId: '-1001234567890', secret: '123456789:AAHkq1z2x3c4v5b6n7m8q9w0e1r2t3y4u5i' };

describe('agent and plugin agree', () => {
  test('check names: checks file, check spec, SLO target form and slo.set intent give one verdict', () => {
    for (const [name, valid] of CHECK_NAMES) {
      const verdicts = {
        checksFile: accepts(() => parseChecksFile(JSON.stringify({ checks: [{ name }] }), 'checks.json')),
        checkSpec: accepts(() =>
          parseCheckSpec({ name, kind: 'http', url: 'http://127.0.0.1:9/health' }, 'test', { intervalSec: 60 })),
        sloForm: noErrors(validateSlo({ checkName: name, uptimeTarget: '99.9', latencyMs: '', maxLagSec: '' }).errors),
        sloIntent: intentProblems('slo.set', { check_name: name, uptime_target: 99.9 }).length === 0,
      };
      assert.deepEqual(verdicts, { checksFile: valid, checkSpec: valid, sloForm: valid, sloIntent: valid }, name);
    }
  });

  test('channel names: the channel form and channel.upsert', () => {
    const names: Array<[string, boolean]> = [
      ['ops-slack', true], ['ops.slack_2', true], ['9', true], ['a'.repeat(63), true], ['a'.repeat(64), false],
      ['ops slack', false], ['-ops', false], ['ops/slack', false],
    ];
    for (const [name, valid] of names) {
      const form = noErrors(validateChannel({ ...slack, name }));
      const intent = intentProblems('channel.upsert', { name, kind: 'slack' }).length === 0;
      assert.deepEqual({ form, intent }, { form: valid, intent: valid }, name);
    }
  });

  test('Telegram tokens and chat ids: environment, Telegram channel, channel form and channel.upsert', async () => {
    const tokens: Array<[string, boolean]> = [
      ['123456789:AAHkq1z2x3c4v5b6n7m8q9w0e1r2t3y4u5i', true], ['1:abcdefghij_klmnopqrs-', true],
      ['123:short', false], ['not-a-token', false], ['123456789 AAHkq1z2x3c4v5b6n7m8q9w0e1r2t3y4u5i', false],
    ];
    for (const [token, valid] of tokens) {
      const env = envSchema.safeParse({ ALERT_TELEGRAM_BOT: token, ALERT_TELEGRAM_CHAT: '-100123' }).success;
      const channel = createTelegramChannel({ name: 't', minSeverity: 'warn', language: 'en', botToken: token, chatId: '1' })
        .validate().length === 0;
      const form = noErrors(validateChannel({ ...telegram, secret: token }));
      assert.deepEqual({ env, channel, form }, { env: valid, channel: valid, form: valid }, token);
    }
    const chats: Array<[string, boolean]> = [['-1001234567890', true], ['42', true], ['@blocktrust_ops', true], ['@abc', false], ['ops room', false]];
    for (const [chat, valid] of chats) {
      const env = envSchema.safeParse({ ALERT_TELEGRAM_BOT: telegram.secret, ALERT_TELEGRAM_CHAT: chat }).success;
      const form = noErrors(validateChannel({ ...telegram, chatId: chat }));
      const intent = intentProblems('channel.upsert', { name: 'oncall', kind: 'telegram', chat_id: chat }).length === 0;
      assert.deepEqual({ env, form, intent }, { env: valid, form: valid, intent: valid }, chat);
    }
  });

  test('Slack webhooks: environment and channel form', () => {
    const hooks: Array<[string, boolean]> = [
      ['https://hooks.slack.com/services/T/B/X', true], ['http://127.0.0.1:9000/hook', true],
      ['http://hooks.slack.com/services/T/B/X', false], ['https://user:pw@hooks.slack.com/x', false], ['hooks.slack.com/x', false],
    ];
    for (const [hook, valid] of hooks) {
      const env = envSchema.safeParse({ ALERT_SLACK_WEBHOOK: hook }).success;
      const form = noErrors(validateChannel({ ...slack, secret: hook }));
      assert.deepEqual({ env, form }, { env: valid, form: valid }, hook);
    }
  });

  test('free-text limits: each form takes exactly what its intent takes', () => {
    const now = Date.UTC(2026, 0, 1);
    const fields: Array<[string, number, (text: string) => boolean, (text: string) => boolean]> = [
      ['note', TEXT_LIMITS.note, (t) => noErrors(validateNote(t, '')), (t) => intentProblems('incident.note', { incident_id: 1, text: t }).length === 0],
      ['silence comment', TEXT_LIMITS.silenceComment,
        (t) => noErrors(validateSilence({ checkPattern: '*', severity: 'any', duration: '1h', comment: t }, now)),
        (t) => intentProblems('silence.create', { ends_at: '2030-01-01T00:00:00Z', comment: t }).length === 0],
      ['maintenance reason', TEXT_LIMITS.maintenanceReason,
        (t) => noErrors(validateMaintenance({ checkPattern: '*', startsAt: '2030-01-01T00:00', endsAt: '2030-01-01T01:00', recurrence: 'none', recurrenceUntil: '', reason: t }, now)),
        (t) => intentProblems('maintenance.create', { starts_at: '2030-01-01T00:00:00Z', ends_at: '2030-01-01T01:00:00Z', reason: t }).length === 0],
    ];
    for (const [what, limit, form, intent] of fields) {
      for (const [length, valid] of [[limit, true], [limit + 1, false]] as const) {
        const text = 'x'.repeat(length);
        assert.deepEqual({ form: form(text), intent: intent(text) }, { form: valid, intent: valid }, `${what} of ${length} characters`);
      }
    }
    const resolve = (n: number) => intentProblems('incident.resolve', { incident_id: 1, comment: 'x'.repeat(n) }).length === 0;
    assert.deepEqual([resolve(TEXT_LIMITS.resolveComment), resolve(TEXT_LIMITS.resolveComment + 1)], [true, false]);
  });

  test('choices: severities, languages and channel kinds the form offers are the ones the agent takes', () => {
    for (const severity of [...SEVERITIES, 'fatal']) {
      const known = (SEVERITIES as readonly string[]).includes(severity);
      assert.equal(envSchema.safeParse({ ALERT_MIN_SEVERITY: severity }).success, known, severity);
      assert.equal(noErrors(validateChannel({ ...slack, minSeverity: severity })), known, severity);
      assert.equal(intentProblems('silence.create', { ends_at: '2030-01-01T00:00:00Z', severity }).length === 0, known, severity);
    }
    for (const language of [...LANGUAGES, 'fr']) {
      const known = (LANGUAGES as readonly string[]).includes(language);
      assert.equal(envSchema.safeParse({ ALERT_LANGUAGE: language }).success, known, language);
      assert.equal(noErrors(validateChannel({ ...slack, language })), known, language);
    }
    for (const kind of [...CHANNEL_KINDS, 'email']) {
      assert.equal(intentProblems('channel.upsert', { name: 'x', kind }).length === 0, (CHANNEL_KINDS as readonly string[]).includes(kind), kind);
    }
  });

  test('defaults: the environment falls back to the contract\'s values', () => {
    const env = envSchema.parse({});
    assert.deepEqual(
      [env.SLO_UPTIME_TARGET, env.SLO_LATENCY_MS, env.MAX_LISTENER_LAG_SEC, env.MONITOR_CHECK_TIMEOUT_MS,
        env.MONITOR_FAILURE_THRESHOLD, env.MONITOR_SUCCESS_THRESHOLD, env.ALERT_LANGUAGE, env.ALERT_MIN_SEVERITY],
      [DEFAULTS.uptimeTarget, DEFAULTS.latencyMs, DEFAULTS.maxLagSec, DEFAULTS.checkTimeoutMs,
        DEFAULTS.failureThreshold, DEFAULTS.successThreshold, DEFAULTS.language, DEFAULTS.minSeverity]);
  });

  test('every intent kind has a schema and nothing else is a kind', () => {
    assert.deepEqual([...INTENT_KINDS].sort(), Object.keys(intentSchemas).sort());
    assert.equal(INTENT_KINDS.length, 13);
  });
});
