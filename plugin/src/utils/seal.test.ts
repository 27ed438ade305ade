import { Buffer } from 'node:buffer';
import { webcrypto } from 'node:crypto';
import { channelSecretContext, seal, SealError } from './seal';

const subtle = webcrypto.subtle;
const EC = { name: 'ECDH', namedCurve: 'P-256' } as const;
const b64 = (t: string) => Uint8Array.from(Buffer.from(t, 'base64url'));

async function agentKey() {
  const pair = (await subtle.generateKey(EC, true, ['deriveBits'])) as CryptoKeyPair;
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  const kid = Buffer.from(await subtle.digest('SHA-256', raw))
    .toString('hex')
    .slice(0, 16);
  return {
    privateKey: pair.privateKey,
    publicJwk: { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x!, y: jwk.y!, kid },
  };
}

// The agent's side of btm1, written separately from seal.ts with node:crypto's WebCrypto.
async function open(privateKey: CryptoKey, kid: string, sealed: string, context: string): Promise<string> {
  const parts = sealed.split('.');
  expect(parts).toHaveLength(5);
  const [prefix, sealedKid, epk, iv, ct] = parts;
  expect(prefix).toBe('btm1');
  expect(sealedKid).toBe(kid);
  const ephemeral = await subtle.importKey('raw', b64(epk), EC, false, []);
  const shared = await subtle.deriveBits({ name: 'ECDH', public: ephemeral }, privateKey, 256);
  const ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
  const keyBits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: b64(epk), info: Buffer.from('blocktrust-monitor sealed secret v1') },
    ikm,
    256
  );
  const key = await subtle.importKey('raw', keyBits, 'AES-GCM', false, ['decrypt']);
  const plain = await subtle.decrypt(
    { name: 'AES-GCM', iv: b64(iv), additionalData: Buffer.from(context) },
    key,
    b64(ct)
  );
  return Buffer.from(plain).toString('utf8');
}

describe('seal (btm1)', () => {
  const webhook = 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';

  it('produces base64url parts that the agent opens for the same context only', async () => {
    const { privateKey, publicJwk } = await agentKey();
    const context = channelSecretContext('ops-slack');
    const sealed = await seal(publicJwk, webhook, context);
    expect(sealed).toMatch(/^btm1\.[0-9a-f]{16}(\.[A-Za-z0-9_-]+){3}$/);
    expect(sealed).not.toContain('hooks.slack.com');
    expect(b64(sealed.split('.')[2])).toHaveLength(65);
    expect(b64(sealed.split('.')[3])).toHaveLength(12);
    await expect(open(privateKey, publicJwk.kid, sealed, context)).resolves.toBe(webhook);
    await expect(open(privateKey, publicJwk.kid, sealed, channelSecretContext('other'))).rejects.toThrow();
  });

  it('uses a fresh ephemeral key and iv each time', async () => {
    const { publicJwk } = await agentKey();
    const a = await seal(publicJwk, 'same', 'channel:x');
    const b = await seal(publicJwk, 'same', 'channel:x');
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(a.split('.')[3]).not.toBe(b.split('.')[3]);
  });

  it('detects tampering', async () => {
    const { privateKey, publicJwk } = await agentKey();
    const sealed = await seal(publicJwk, 'secret', 'channel:x');
    const parts = sealed.split('.');
    const ct = b64(parts[4]);
    ct[0] ^= 1;
    parts[4] = Buffer.from(ct).toString('base64url');
    await expect(open(privateKey, publicJwk.kid, parts.join('.'), 'channel:x')).rejects.toThrow();
  });

  it('refuses a key whose kid does not match it, and keys that are not P-256', async () => {
    const { publicJwk } = await agentKey();
    await expect(seal({ ...publicJwk, kid: '0000000000000000' }, 's', 'c')).rejects.toThrow(SealError);
    await expect(seal({ ...publicJwk, crv: 'P-384' as 'P-256' }, 's', 'c')).rejects.toThrow(/not an EC P-256 key/);
    await expect(seal({ ...publicJwk, x: 'AAAA' }, 's', 'c')).rejects.toThrow(/malformed/);
  });
});
