// Seals a channel secret in the browser to the agent's public key (format btm1, see docs/sealed-secrets.md):
// ephemeral ECDH P-256, HKDF-SHA256 to an AES-GCM key, the context bound as additional data.
// Only the agent, which holds MONITOR_SECRET_KEY, can open the result.
import type { PublicKeyJwk } from '../types';

const HKDF_INFO = 'blocktrust-monitor sealed secret v1';
const EC = { name: 'ECDH', namedCurve: 'P-256' } as const;

export class SealError extends Error {}

function subtle(): SubtleCrypto {
  const c = globalThis.crypto;
  if (!c?.subtle) {
    throw new SealError('This browser cannot seal secrets: WebCrypto needs a secure context (https or localhost).');
  }
  return c.subtle;
}

export function b64url(bytes: Uint8Array): string {
  let bin = '';
  bytes.forEach((b) => (bin += String.fromCharCode(b)));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bin = atob(b64);
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

function rawPublicKey(jwk: PublicKeyJwk): Uint8Array<ArrayBuffer> {
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new SealError('The agent published a public key that is not an EC P-256 key.');
  }
  const x = fromB64url(jwk.x);
  const y = fromB64url(jwk.y);
  if (x.length !== 32 || y.length !== 32) {
    throw new SealError('The agent published a malformed P-256 public key.');
  }
  const raw = new Uint8Array(65);
  raw[0] = 0x04;
  raw.set(x, 1);
  raw.set(y, 33);
  return raw;
}

/** First 16 hex characters of SHA-256 over the 65-byte uncompressed public key. */
export async function keyId(raw: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await subtle().digest('SHA-256', raw));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The context a channel's secret is sealed for; the agent opens it with the same one. */
export const channelSecretContext = (channelName: string): string => `channel:${channelName}`;

/** Seals `plaintext` so that only the agent holding the private half of `agentKey` can read it. */
export async function seal(agentKey: PublicKeyJwk, plaintext: string, context: string): Promise<string> {
  const s = subtle();
  const raw = rawPublicKey(agentKey);
  const kid = await keyId(raw);
  if (agentKey.kid && agentKey.kid !== kid) {
    throw new SealError(`The agent's public key does not match its key id ${agentKey.kid}.`);
  }
  const agent = await s.importKey('raw', raw, EC, false, []);
  const ephemeral = (await s.generateKey(EC, true, ['deriveBits'])) as CryptoKeyPair;
  const ephemeralRaw = new Uint8Array(await s.exportKey('raw', ephemeral.publicKey));
  const shared = await s.deriveBits({ name: 'ECDH', public: agent }, ephemeral.privateKey, 256);
  const hkdfKey = await s.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const aesKey = await s.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: ephemeralRaw, info: new TextEncoder().encode(HKDF_INFO) },
    hkdfKey,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt']
  );
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await s.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(context) },
    aesKey,
    new TextEncoder().encode(plaintext)
  );
  return ['btm1', kid, b64url(ephemeralRaw), b64url(iv), b64url(new Uint8Array(ciphertext))].join('.');
}
