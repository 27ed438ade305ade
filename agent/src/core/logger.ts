import { redactKnownSecrets } from './secrets.ts';
import type { Logger } from './types.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Replaces every known secret value (these, and every one the process learnt since: opened seals, login
 * tokens, channel secrets), URL credentials, bearer tokens and Telegram bot tokens with '***'. Applied to
 * every log line, so a secret that reaches an error message by accident still never leaves.
 */
export function createRedactor(secrets: Array<string | undefined>): (text: string) => string {
  const values = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4)
    .sort((a, b) => b.length - a.length);
  return (text: string) => {
    return redactKnownSecrets(text, values)
      .replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1***@')
      .replace(/(Bearer\s+)[\w.~+/=-]+/gi, '$1***')
      .replace(/\/bot\d+:[\w-]+/g, '/bot***')
      .replace(/(hooks\.slack\.com\/services\/)[\w/]+/g, '$1***');
  };
}

export interface LogSink {
  write(text: string): void;
}

export function createLogger(opts: {
  level: Level;
  format: 'text' | 'json';
  sink: LogSink;
  redact: (text: string) => string;
  now?: () => Date;
}): Logger {
  const now = opts.now ?? (() => new Date());
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < RANK[opts.level]) return;
    let line: string;
    if (opts.format === 'json') {
      line = JSON.stringify({ ts: now().toISOString(), level, msg, ...fields });
    } else {
      const extra = fields && Object.keys(fields).length
        ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
        : '';
      line = `${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${extra}`;
    }
    opts.sink.write(opts.redact(line) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** A logger that keeps lines in memory (tests assert on them, e.g. that no secret was logged). */
export function memoryLogger(redact: (t: string) => string = (t) => t): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'text', sink: { write: (t) => lines.push(t) }, redact });
  return Object.assign(logger, { lines });
}
