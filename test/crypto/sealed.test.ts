import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { b64url, fromB64url, keyId, loadAgentKey, seal } from '@blocktrust-monitor/contract';

const SECRET = 'sealed-secrets test key: not a real MONITOR_SECRET_KEY';
const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/roundTripSecret';

describe('sealed secrets (btm1)', () => {
  test('the agent key is derived deterministically and published as a P-256 JWK with its kid', async () => {
    const a = await loadAgentKey(SECRET);
    const b = await loadAgentKey(SECRET);
    const other = await loadAgentKey(`${SECRET}!`);
    assert.deepEqual(a.publicJwk, b.publicJwk);
    assert.notEqual(a.publicJwk.x, other.publicJwk.x);
    assert.deepEqual(Object.keys(a.publicJwk).sort(), ['crv', 'kid', 'kty', 'x', 'y']);
    assert.equal(a.publicJwk.kty, 'EC');
    assert.equal(a.publicJwk.crv, 'P-256');
    const raw = new Uint8Array([4, ...fromB64url(a.publicJwk.x), ...fromB64url(a.publicJwk.y)]);
    assert.equal(raw.length, 65);
    assert.match(a.kid, /^[0-9a-f]{16}$/);
    assert.equal(a.kid, await keyId(raw));
    assert.equal(JSON.stringify(a.publicJwk).includes('"d"'), false, 'no private part in the published key');
    await assert.rejects(loadAgentKey('too short'), /at least 32 characters/);
  });

  test('seal → open round trip; the string has the documented shape', async () => {
    const key = await loadAgentKey(SECRET);
    const sealed = await seal(key.publicJwk, WEBHOOK, 'channel:ops');
    const parts = sealed.split('.');
    assert.equal(parts.length, 5);
    assert.equal(parts[0], 'btm1');
    assert.equal(parts[1], key.kid);
    assert.equal(fromB64url(parts[2]).length, 65);
    assert.equal(fromB64url(parts[3]).length, 12);
    assert.equal(fromB64url(parts[4]).length, new TextEncoder().encode(WEBHOOK).length + 16, 'ciphertext + 16-byte tag');
    assert.ok(!/[=+/]/.test(sealed), 'base64url without padding');
    assert.ok(!sealed.includes('roundTripSecret'));
    assert.equal(await key.open(sealed, 'channel:ops'), WEBHOOK);
    assert.notEqual(await seal(key.publicJwk, WEBHOOK, 'channel:ops'), sealed, 'a fresh ephemeral key and iv every time');
  });

  test('a tampered, wrong-context, wrong-key or malformed seal is rejected without revealing anything', async () => {
    const key = await loadAgentKey(SECRET);
    const sealed = await seal(key.publicJwk, WEBHOOK, 'channel:ops');
    const parts = sealed.split('.');
    const ct = fromB64url(parts[4]);
    ct[3] ^= 0x01;
    const tampered = [...parts.slice(0, 4), b64url(ct)].join('.');
    const iv = fromB64url(parts[3]);
    iv[0] ^= 0x80;
    const otherIv = [parts[0], parts[1], parts[2], b64url(iv), parts[4]].join('.');
    const other = await loadAgentKey(`${SECRET} (another agent)`);
    const forOther = await seal(other.publicJwk, WEBHOOK, 'channel:ops');
    const cases: Array<[string, string, string, RegExp]> = [
      ['tampered ciphertext', tampered, 'channel:ops', /does not open for channel:ops/],
      ['tampered iv', otherIv, 'channel:ops', /does not open for channel:ops/],
      ['another context', sealed, 'channel:ops2', /does not open for channel:ops2/],
      ['another agent key', forOther, 'channel:ops', /sealed to another agent key \(kid [0-9a-f]{16}, this agent is [0-9a-f]{16}\)/],
      ['not btm1', sealed.replace('btm1.', 'btm2.'), 'channel:ops', /must look like btm1\./],
      ['missing part', parts.slice(0, 4).join('.'), 'channel:ops', /must look like btm1\./],
      ['bad ephemeral key', [parts[0], parts[1], b64url(new Uint8Array(65).fill(4)), parts[3], parts[4]].join('.'), 'channel:ops', /invalid ephemeral key/],
      ['not base64url', [parts[0], parts[1], parts[2], 'a+b/', parts[4]].join('.'), 'channel:ops', /not base64url/],
    ];
    for (const [name, text, context, expected] of cases) {
      await assert.rejects(key.open(text, context), (err: Error) => {
        assert.match(err.message, expected, name);
        assert.ok(!err.message.includes('roundTripSecret'), name);
        return true;
      }, name);
    }
  });

  test('Deno derives the same agent key and opens what Node sealed', { skip: !existsSync('node_modules/.bin/deno') && 'deno is not installed' }, async () => {
    const key = await loadAgentKey(SECRET);
    const sealed = await seal(key.publicJwk, WEBHOOK, 'channel:ops');
    const dir = await mkdtemp(path.join(tmpdir(), 'bt-deno-'));
    const script = path.join(dir, 'open.ts');
    const module = path.resolve('contract/src/sealed.ts');
    await writeFile(script, `import { loadAgentKey } from ${JSON.stringify(`file://${module}`)};
const key = await loadAgentKey(Deno.args[0]);
const opened = await key.open(Deno.args[1], 'channel:ops');
console.log(JSON.stringify({ kid: key.kid, x: key.publicJwk.x, ok: opened === Deno.args[2] }));\n`);
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile('node_modules/.bin/deno', ['run', '--quiet', '--no-config', script, SECRET, sealed, WEBHOOK],
          { timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`deno failed: ${stderr}`)) : resolve(stdout)));
      });
      assert.deepEqual(JSON.parse(out.trim()), { kid: key.kid, x: key.publicJwk.x, ok: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('the WebCrypto sealing code in docs/sealed-secrets.md produces what the agent opens', async () => {
  const doc = await readFile('docs/sealed-secrets.md', 'utf8');
  const code = /### WebCrypto, step by step\n\n```ts\n([^]*?)```/.exec(doc)?.[1];
  assert.ok(code, 'the documented code block');
  const dir = await mkdtemp(path.join(tmpdir(), 'bt-doc-seal-'));
  const file = path.join(dir, 'seal.mts');
  await writeFile(file, `${code.replace('async function sealSecret', 'export async function sealSecret')}\n`);
  try {
    const { sealSecret } = await import(pathToFileURL(file).href);
    const key = await loadAgentKey(SECRET);
    const sealed = await sealSecret(key.publicJwk, WEBHOOK, 'channel:ops-slack');
    assert.equal(await key.open(sealed, 'channel:ops-slack'), WEBHOOK);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
