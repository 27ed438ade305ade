// Sealed secrets, format btm1: the browser seals a channel secret to the agent's public key with WebCrypto;
// only the agent, holding MONITOR_SECRET_KEY, can open it. The exact format is in docs/sealed-secrets.md.
//
//   loadAgentKey(secret)  → { publicJwk, kid, open(sealed, context) }      (the agent)
//   seal(publicJwk, plaintext, context) → 'btm1.<kid>.<epk>.<iv>.<ciphertext>'   (the plugin, in the browser)
//
// Web standards only (crypto.subtle, TextEncoder): this one file runs on Node, Deno and in the browser.

export interface AgentPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
}

export interface AgentKey {
  publicJwk: AgentPublicJwk;
  kid: string;
  /** Opens a btm1 string sealed for `context` (e.g. `channel:ops-slack`); throws SealedSecretError otherwise. */
  open(sealed: string, context: string): Promise<string>;
}

/** A public key as read from monitor_agents.public_key: checked before use. */
export interface PublicJwkInput {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  kid?: string;
}

export class SealedSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedSecretError';
  }
}

const PREFIX = 'btm1';
const HKDF_INFO = 'blocktrust-monitor sealed secret v1';
const SCALAR_SALT = 'blocktrust-monitor agent key v1';
const SCALAR_INFO = 'P-256 private scalar';
// Order of the P-256 group. BigInt() rather than literals: the plugin's build targets ES2018 syntax.
const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const [ZERO, ONE, EIGHT, BYTE] = [BigInt(0), BigInt(1), BigInt(8), BigInt(0xff)];
const EC = { name: 'ECDH', namedCurve: 'P-256' } as const;

const utf8 = new TextEncoder();

/** WebCrypto, or a clear error where the page is not a secure context (plain http to a remote host). */
function subtle(): SubtleCrypto {
  const c = globalThis.crypto;
  if (!c?.subtle) {
    throw new SealedSecretError('WebCrypto is not available here: secrets can be sealed only in a secure context (https or localhost)');
  }
  return c.subtle;
}

export function b64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new SealedSecretError('sealed secret is not base64url');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, bits: number): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', ikm as BufferSource, 'HKDF', false, ['deriveBits']);
  const out = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: utf8.encode(info) }, key, bits);
  return new Uint8Array(out);
}

/** The private scalar in [1, n-1], from 384 bits of HKDF output so the modular bias is negligible. */
async function privateScalar(secret: string): Promise<Uint8Array> {
  const wide = await hkdf(utf8.encode(secret), utf8.encode(SCALAR_SALT), SCALAR_INFO, 384);
  let v = ZERO;
  for (const b of wide) v = (v << EIGHT) | BigInt(b);
  let d = (v % (N - ONE)) + ONE;
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(d & BYTE);
    d >>= EIGHT;
  }
  return out;
}

/** PKCS#8 PrivateKeyInfo for a P-256 key holding only the scalar; WebCrypto derives the public point. */
function pkcs8(scalar: Uint8Array): Uint8Array {
  const head = [
    0x30, 0x41, 0x02, 0x01, 0x00,
    0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
  ];
  const der = new Uint8Array(head.length + 32);
  der.set(head);
  der.set(scalar, head.length);
  return der;
}

function rawFromJwk(jwk: PublicJwkInput): Uint8Array {
  if (jwk?.kty !== undefined && (jwk.kty !== 'EC' || jwk.crv !== 'P-256')) {
    throw new SealedSecretError('the agent published a public key that is not an EC P-256 key');
  }
  if (typeof jwk?.x !== 'string' || typeof jwk.y !== 'string') throw new SealedSecretError('public key is missing x or y');
  const x = fromB64url(jwk.x);
  const y = fromB64url(jwk.y);
  if (x.length !== 32 || y.length !== 32) throw new SealedSecretError('public key is not a P-256 point');
  const raw = new Uint8Array(65);
  raw[0] = 0x04;
  raw.set(x, 1);
  raw.set(y, 33);
  return raw;
}

/** kid = first 16 hex characters of SHA-256 over the 65-byte uncompressed public key. */
export async function keyId(rawPublicKey: Uint8Array): Promise<string> {
  return hex(await subtle().digest('SHA-256', rawPublicKey as BufferSource)).slice(0, 16);
}

async function aesKey(shared: ArrayBuffer, ephemeralRaw: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  const bits = await hkdf(new Uint8Array(shared), ephemeralRaw, HKDF_INFO, 256);
  return subtle().importKey('raw', bits as BufferSource, { name: 'AES-GCM' }, false, [usage]);
}

export async function loadAgentKey(secret: string): Promise<AgentKey> {
  if (typeof secret !== 'string' || secret.length < 32) {
    throw new SealedSecretError('MONITOR_SECRET_KEY must be at least 32 characters');
  }
  const scalar = await privateScalar(secret);
  const extractable = await subtle().importKey('pkcs8', pkcs8(scalar) as BufferSource, EC, true, ['deriveBits']);
  const jwk = await subtle().exportKey('jwk', extractable);
  const privateKey = await subtle().importKey('jwk', { ...jwk, key_ops: ['deriveBits'] }, EC, false, ['deriveBits']);
  scalar.fill(0);
  const raw = rawFromJwk(jwk);
  const kid = await keyId(raw);
  const publicJwk: AgentPublicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid };

  async function open(sealed: string, context: string): Promise<string> {
    const parts = typeof sealed === 'string' ? sealed.trim().split('.') : [];
    if (parts.length !== 5 || parts[0] !== PREFIX) {
      throw new SealedSecretError('sealed secret must look like btm1.<kid>.<key>.<iv>.<ciphertext>');
    }
    const [, sealedKid, epkText, ivText, ctText] = parts;
    if (sealedKid !== kid) {
      throw new SealedSecretError(`sealed to another agent key (kid ${sealedKid}, this agent is ${kid}): seal it again`);
    }
    const epk = fromB64url(epkText);
    const iv = fromB64url(ivText);
    const ct = fromB64url(ctText);
    if (epk.length !== 65 || epk[0] !== 0x04) throw new SealedSecretError('sealed secret carries an invalid ephemeral key');
    if (iv.length !== 12) throw new SealedSecretError('sealed secret carries an invalid iv');
    let ephemeral: CryptoKey;
    try {
      ephemeral = await subtle().importKey('raw', epk as BufferSource, EC, false, []);
    } catch {
      throw new SealedSecretError('sealed secret carries an invalid ephemeral key');
    }
    const shared = await subtle().deriveBits({ name: 'ECDH', public: ephemeral }, privateKey, 256);
    const key = await aesKey(shared, epk, 'decrypt');
    try {
      const plain = await subtle().decrypt(
        { name: 'AES-GCM', iv: iv as BufferSource, additionalData: utf8.encode(context) }, key, ct as BufferSource);
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      throw new SealedSecretError(`sealed secret does not open for ${context}: it was altered or sealed for something else`);
    }
  }

  return { publicJwk, kid, open };
}

/** Seals `plaintext` to the agent's public key for `context`; the browser does the same with WebCrypto. */
export async function seal(publicJwk: PublicJwkInput, plaintext: string, context: string): Promise<string> {
  const raw = rawFromJwk(publicJwk);
  const kid = await keyId(raw);
  if (publicJwk.kid && publicJwk.kid !== kid) {
    throw new SealedSecretError(`the agent's public key does not match its key id ${publicJwk.kid}`);
  }
  const agent = await subtle().importKey('raw', raw as BufferSource, EC, false, []);
  const pair = (await subtle().generateKey(EC, true, ['deriveBits'])) as CryptoKeyPair;
  const ephemeralRaw = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  const shared = await subtle().deriveBits({ name: 'ECDH', public: agent }, pair.privateKey, 256);
  const key = await aesKey(shared, ephemeralRaw, 'encrypt');
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle().encrypt(
    { name: 'AES-GCM', iv: iv as BufferSource, additionalData: utf8.encode(context) }, key, utf8.encode(plaintext) as BufferSource);
  return [PREFIX, kid, b64url(ephemeralRaw), b64url(iv), b64url(new Uint8Array(ct))].join('.');
}

/** The context a channel's secret is sealed for. */
export const channelSecretContext = (channelName: string): string => `channel:${channelName}`;
