// Every secret this agent process knows (secret environment variables, opened seals, the login password and
// the tokens it got), so that any text about to be stored, logged or printed can be cleaned of them by value,
// whatever echoed them: a channel's error body, a target's answer, a driver's message.
//
//   rememberSecret(process.env.ALERT_SLACK_WEBHOOK);     // the URL, its path and each secret-looking part of it
//   rememberSecret(token, { rotating: true });             // kept among the most recent rotating ones only
//   redactKnownSecrets(text) / redactDeep(details)

const MIN_LENGTH = 4;
const MAX_ROTATING = 64;
export const REDACTED = '***';

const permanent = new Set<string>();
const rotating: string[] = [];
let ordered: string[] = [];

/** Path segments of a secret URL that are words anyone may write (not secrets on their own). */
const PLAIN_WORD = /^[a-z]{1,15}$/;

/** A part of a secret URL that is secret on its own: long, or mixing letters and digits (Slack's T…/B…/key). */
function secretLooking(part: string): boolean {
  if (part.length < 5 || PLAIN_WORD.test(part)) return false;
  return part.length >= 16 || (/\d/.test(part) && /[A-Za-z]/.test(part)) || /[A-Z]/.test(part);
}

/** The value, and the forms it takes once echoed in a URL, in JSON, or as part of a URL. */
function variants(value: string): string[] {
  const out = new Set<string>([value]);
  const parts: string[] = [];
  try {
    const u = new URL(value);
    if (u.password) parts.push(decodeURIComponent(u.password));
    // The path of a web URL is its secret (a webhook); a database URL's path only names the database.
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.pathname.length >= 8) {
      parts.push(u.pathname, u.pathname + u.search);
      for (const seg of u.pathname.split('/')) if (secretLooking(seg)) parts.push(decodeURIComponent(seg));
    }
    for (const [, v] of u.searchParams) if (v.length >= 8) parts.push(v);
  } catch {
    // Not a URL: a token, a password, a key.
  }
  const bot = /^\d+:([\w-]{12,})$/.exec(value);
  if (bot) parts.push(bot[1]);
  for (const p of [value, ...parts]) {
    if (p.length < MIN_LENGTH) continue;
    out.add(p);
    out.add(encodeURIComponent(p));
    out.add(JSON.stringify(p).slice(1, -1));
    out.add(JSON.stringify(p).slice(1, -1).replaceAll('/', '\\/'));
  }
  return [...out].filter((v) => v.length >= MIN_LENGTH);
}

function rebuild(): void {
  ordered = [...new Set([...permanent, ...rotating])].sort((a, b) => b.length - a.length);
}

/**
 * Adds a secret (and its derived forms) to those redacted everywhere. `rotating` values (login tokens) are
 * kept among the last MAX_ROTATING only, so a long-running agent does not grow the list without end.
 */
export function rememberSecret(value: string | null | undefined, opts: { rotating?: boolean } = {}): void {
  if (typeof value !== 'string' || value.trim().length < MIN_LENGTH) return;
  const forms = variants(value);
  if (opts.rotating) {
    if (forms.every((f) => rotating.includes(f) || permanent.has(f))) return;
    rotating.push(...forms.filter((f) => !permanent.has(f)));
    if (rotating.length > MAX_ROTATING) rotating.splice(0, rotating.length - MAX_ROTATING);
  } else {
    if (forms.every((f) => permanent.has(f))) return;
    for (const f of forms) permanent.add(f);
  }
  rebuild();
}

/** The text with every known secret, and every `extra` one, replaced by ***. */
export function redactKnownSecrets(text: string, extra: ReadonlyArray<string | null | undefined> = []): string {
  let out = String(text);
  const more = extra.length ? extra.flatMap((e) => (typeof e === 'string' && e.length >= MIN_LENGTH ? variants(e) : [])) : [];
  const list = more.length ? [...more, ...ordered].sort((a, b) => b.length - a.length) : ordered;
  for (const v of list) if (out.includes(v)) out = out.split(v).join(REDACTED);
  return out;
}

/** The same structure with every string (keys too) cleaned of known secrets; other values unchanged. */
export function redactDeep<T>(value: T, depth = 0): T {
  if (ordered.length === 0 || depth > 20) return value;
  if (typeof value === 'string') return redactKnownSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redactKnownSecrets(k)] = redactDeep(v, depth + 1);
    return out as T;
  }
  return value;
}
