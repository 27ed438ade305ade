import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactDeep, redactKnownSecrets, rememberSecret } from '../../agent/src/core/secrets.ts';
import { redactSecrets } from '../../agent/src/alerts/redact.ts';

const WEBHOOK = 'http://127.0.0.1:9/services/T0REDACT01/B0REDACT02/RedactKeyAbcdef123456';

test('a remembered webhook URL is redacted whole, by its path, by each secret part, URL-encoded and JSON-escaped', () => {
  rememberSecret(WEBHOOK);
  const cases: Array<[string, string]> = [
    [`POST ${WEBHOOK} failed`, 'POST *** failed'],
    ['path /services/T0REDACT01/B0REDACT02/RedactKeyAbcdef123456 unknown', 'path *** unknown'],
    ['team T0REDACT01, hook B0REDACT02, key RedactKeyAbcdef123456', 'team ***, hook ***, key ***'],
    [`enc ${encodeURIComponent('/services/T0REDACT01/B0REDACT02/RedactKeyAbcdef123456')}`, 'enc ***'],
    ['{"url":"\\/services\\/T0REDACT01\\/B0REDACT02\\/RedactKeyAbcdef123456"}', '{"url":"***"}'],
    // Plain words of the path stay: they are not secret and the message must stay readable.
    ['no such services here', 'no such services here'],
  ];
  for (const [input, want] of cases) assert.equal(redactKnownSecrets(input), want, input);
});

test('a Telegram token is redacted with and without its bot id; the channel patterns still apply to unknown ones', () => {
  rememberSecret('5012345678:AARedactBotSecret-0123456789abc');
  assert.equal(redactSecrets('token 5012345678:AARedactBotSecret-0123456789abc and secret AARedactBotSecret-0123456789abc'),
    'token *** and secret ***');
  assert.equal(redactSecrets('see https://hooks.slack.com/services/TX/BX/never-seen-before'), 'see https://hooks.slack.com/services/***');
});

test('rotating secrets (login tokens) are bounded: the oldest are forgotten, the newest kept', () => {
  for (let i = 0; i < 100; i++) rememberSecret(`rotating-token-number-${String(i).padStart(3, '0')}-xyz`, { rotating: true });
  assert.equal(redactKnownSecrets('rotating-token-number-099-xyz'), '***');
  assert.equal(redactKnownSecrets('rotating-token-number-000-xyz'), 'rotating-token-number-000-xyz');
});

test('redactDeep cleans strings at any depth, keys included, and leaves other values alone', () => {
  rememberSecret('DeepSecretValue-42');
  assert.deepEqual(
    redactDeep({ error: 'x DeepSecretValue-42 y', n: 3, ok: true, list: ['DeepSecretValue-42', 1], nested: { 'DeepSecretValue-42': null } }),
    { error: 'x *** y', n: 3, ok: true, list: ['***', 1], nested: { '***': null } });
});

test('a database URL gives away its password only: the database name and host stay readable', () => {
  rememberSecret('postgresql://monitor:Db-Pass-4242@db.internal:5432/none');
  assert.equal(redactKnownSecrets('cannot read /nonexistent/file on db.internal, password Db-Pass-4242'),
    'cannot read /nonexistent/file on db.internal, password ***');
});
