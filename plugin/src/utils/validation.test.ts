import {
  parseDuration,
  validateChannel,
  validateMaintenance,
  validateNote,
  validateSilence,
  validateSlo,
  type ChannelForm,
} from './validation';

describe('validateSlo', () => {
  it.each([
    [
      { checkName: '*', uptimeTarget: '99.9', latencyMs: '', maxLagSec: '' },
      { check_name: '*', uptime_target: 99.9 },
    ],
    [
      { checkName: ' api.health ', uptimeTarget: '', latencyMs: '500', maxLagSec: '60' },
      { check_name: 'api.health', latency_ms: 500, max_lag_sec: 60 },
    ],
    // A name a checks file accepts: the form takes every check name the agent knows.
    [
      { checkName: 'docs-site', uptimeTarget: '99.95', latencyMs: '', maxLagSec: '' },
      { check_name: 'docs-site', uptime_target: 99.95 },
    ],
  ])('accepts %j', (form, payload) => {
    const r = validateSlo(form);
    expect(r.errors).toEqual({});
    expect(r.payload).toEqual(payload);
  });

  it.each([
    [{ checkName: 'API Health', uptimeTarget: '99', latencyMs: '', maxLagSec: '' }, 'checkName', /Check: must be '\*'/],
    [{ checkName: '*', uptimeTarget: '100', latencyMs: '', maxLagSec: '' }, 'uptimeTarget', /less than 100/],
    [{ checkName: '*', uptimeTarget: '0', latencyMs: '', maxLagSec: '' }, 'uptimeTarget', /greater than 0/],
    [{ checkName: '*', uptimeTarget: '99.12345', latencyMs: '', maxLagSec: '' }, 'uptimeTarget', /4 decimals/],
    [{ checkName: '*', uptimeTarget: '', latencyMs: '1.5', maxLagSec: '' }, 'latencyMs', /whole number/],
    [{ checkName: '*', uptimeTarget: '', latencyMs: '0', maxLagSec: '' }, 'latencyMs', /at least 1$/],
    [{ checkName: '*', uptimeTarget: '', latencyMs: '', maxLagSec: '999999' }, 'maxLagSec', /at most 604800/],
    [{ checkName: '*', uptimeTarget: '', latencyMs: '', maxLagSec: '' }, 'uptimeTarget', /set at least one of/],
  ])('rejects %j with a message on %s', (form, field, message) => {
    const r = validateSlo(form);
    expect(r.payload).toBeNull();
    expect(r.errors[field as keyof typeof r.errors]).toMatch(message);
  });
});

describe('validateChannel', () => {
  const slack: ChannelForm = {
    name: 'ops-slack',
    kind: 'slack',
    enabled: true,
    minSeverity: 'warn',
    language: 'en',
    chatId: '',
    secret: 'https://hooks.slack.com/services/T/B/X',
    isNew: true,
  };
  const telegram: ChannelForm = {
    ...slack,
    name: 'oncall',
    kind: 'telegram',
    chatId: '-1001234567890',
    secret: '123456789:AAHkq1z2x3c4v5b6n7m8q9w0e1r2t3y4u5i',
  };

  it('accepts valid Slack and Telegram channels', () => {
    expect(validateChannel(slack)).toEqual({});
    expect(validateChannel(telegram)).toEqual({});
    expect(validateChannel({ ...telegram, chatId: '@blocktrust_ops' })).toEqual({});
  });

  it('keeps the stored secret of an existing channel when none is typed', () => {
    expect(validateChannel({ ...slack, isNew: false, secret: '' })).toEqual({});
  });

  it.each([
    [{ name: 'ops slack!' }, 'name', /Name:/],
    [{ kind: 'email' }, 'kind', /Kind: must be one of slack, telegram/],
    [{ minSeverity: 'high' }, 'minSeverity', /info, warn, crit/],
    [{ language: 'fr' }, 'language', /en, pt-BR/],
    [{ secret: '' }, 'secret', /required/],
    [{ secret: 'hooks.slack.com/services/x' }, 'secret', /full URL/],
    [{ secret: 'http://hooks.slack.com/services/x' }, 'secret', /https:\/\//],
    [{ secret: 'https://user:pw@hooks.slack.com/x' }, 'secret', /user name or password/],
  ])('Slack: rejects %j on %s', (change, field, message) => {
    expect(validateChannel({ ...slack, ...change })[field as 'name']).toMatch(message);
  });

  it('allows a plain http webhook only on this machine (local test receivers)', () => {
    expect(validateChannel({ ...slack, secret: 'http://127.0.0.1:9000/hook' })).toEqual({});
  });

  it.each([
    [{ chatId: '' }, 'chatId', /Chat id/],
    [{ chatId: 'ops room' }, 'chatId', /Chat id/],
    [{ secret: 'not-a-token' }, 'secret', /does not look like a bot token/],
    [{ secret: '' }, 'secret', /Bot token: required/],
  ])('Telegram: rejects %j on %s', (change, field, message) => {
    expect(validateChannel({ ...telegram, ...change })[field as 'chatId']).toMatch(message);
  });
});

describe('silences and maintenance', () => {
  it('reads durations', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('2d')).toBe(2 * 86_400_000);
    expect(parseDuration('soon')).toBeNull();
  });

  it('validates a silence', () => {
    expect(validateSilence({ checkPattern: 'api.*', severity: 'any', duration: '2h', comment: '' })).toEqual({});
    const bad = validateSilence({
      checkPattern: 'api health',
      severity: 'fatal',
      duration: '40d',
      comment: 'x'.repeat(2001),
    });
    expect(bad.checkPattern).toMatch(/Checks:/);
    expect(bad.severity).toMatch(/Severity: must be one of info, warn, crit/);
    expect(bad.duration).toMatch(/between 1m and 30d/);
    expect(bad.comment).toMatch(/at most 2000 characters/);
    expect(validateSilence({ checkPattern: '*', severity: 'any', duration: '1h', comment: 'x'.repeat(2000) })).toEqual(
      {}
    );
  });

  it('validates a maintenance window', () => {
    const ok = {
      checkPattern: '*',
      startsAt: '2026-12-01T22:00',
      endsAt: '2026-12-01T23:30',
      recurrence: 'daily',
      recurrenceUntil: '',
      reason: '',
    };
    expect(validateMaintenance(ok)).toEqual({});
    expect(validateMaintenance({ ...ok, endsAt: '2026-12-01T21:00' }).endsAt).toMatch(/Ends: must be after starts_at/);
    expect(validateMaintenance({ ...ok, endsAt: '2026-12-02T22:00' }).endsAt).toMatch(
      /daily window must be shorter than its period/
    );
    const past = { ...ok, recurrence: 'none', startsAt: '2020-01-01T00:00', endsAt: '2020-01-01T01:00' };
    expect(validateMaintenance(past).endsAt).toMatch(/already over/);
    expect(validateMaintenance({ ...past, recurrence: 'weekly' })).toEqual({});
    expect(validateMaintenance({ ...ok, startsAt: '' }).startsAt).toMatch(/Starts: is required/);
    expect(
      validateMaintenance({ ...ok, recurrence: 'none', recurrenceUntil: '2026-12-09T00:00' }).recurrenceUntil
    ).toMatch(/only for a recurring window/);
    expect(validateMaintenance({ ...ok, recurrenceUntil: '2026-11-01T00:00' }).recurrenceUntil).toMatch(
      /must not be before starts_at/
    );
  });

  it('validates a note', () => {
    expect(validateNote('Restarted the API', 'https://wiki.example.com/pm/1')).toEqual({});
    expect(validateNote('  ', '').text).toMatch(/Note: is required/);
    expect(validateNote('x'.repeat(5000), '')).toEqual({});
    expect(validateNote('x'.repeat(5001), '').text).toMatch(/at most 5000 characters/);
    expect(validateNote('ok', 'javascript:alert(1)').postmortemUrl).toMatch(/http\(s\) URL/);
    expect(validateNote('ok', 'wiki/pm').postmortemUrl).toMatch(/http\(s\) URL/);
  });
});
