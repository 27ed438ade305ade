import { z } from 'zod';
import type { CheckOutcome } from '../core/types.ts';
import { parseBlock, rpcUrlSchema } from './chain-head.ts';
import { readDb, redactUrls, safeUrl } from './errors.ts';
import { exchange } from './http.ts';
import { excerpt } from './json.ts';
import { rpcCall } from './json-rpc.ts';
import { specBaseShape } from './spec-base.ts';
import type { CheckContext, CheckSpecBase } from './types.ts';

export interface ListenerEventsSpec extends CheckSpecBase {
  kind: 'listener_events';
  /** JSON-RPC endpoint; default POLYGON_RPC_URL. */
  rpcUrl?: string;
  /** The contracts whose logs the listener indexes (PROOF_REGISTRY_ADDRESS, IDENTITY_NFT_ADDRESS). */
  contracts: string[];
  /** How many blocks, ending at the listener's last processed block, are compared on each run. */
  blockRange: number;
  /** The newest blocks of the chain are left out: they may still be reorganised. */
  confirmations: number;
  /** Where the listener's events are read: its `events` table through DATABASE_URL, or /api/explorer/events. */
  source: 'auto' | 'database' | 'api';
  eventsTable: string;
  heartbeat: string;
}

const identifier = z
  .string({ error: 'expected a table name' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, { error: 'expected a table name such as events or public.events' });

export const listenerEventsSchema = z.strictObject({
  ...specBaseShape,
  kind: z.literal('listener_events'),
  rpcUrl: rpcUrlSchema,
  contracts: z
    .array(z.string().regex(/^0x[0-9a-fA-F]{40}$/, { error: 'expected a contract address (0x and 40 hex digits)' }), {
      error: 'expected a list of contract addresses',
    })
    .min(1, { error: 'expected at least one contract address (PROOF_REGISTRY_ADDRESS, IDENTITY_NFT_ADDRESS)' }),
  blockRange: z.number({ error: 'expected a number of blocks' }).int({ error: 'expected whole blocks' }).min(1).max(10_000).default(500),
  confirmations: z.number({ error: 'expected a number of blocks' }).int({ error: 'expected whole blocks' }).min(0).max(1000).default(3),
  source: z.enum(['auto', 'database', 'api'], { error: 'expected auto, database or api' }).default('auto'),
  eventsTable: identifier.default('events'),
  heartbeat: z.string({ error: 'expected a check name' }).min(1).default('listener.tick'),
}) as unknown as z.ZodType<ListenerEventsSpec>;

/** Most providers refuse eth_getLogs over wide ranges; the compared range is asked for in slices of this size. */
const BLOCKS_PER_CALL = 1000;
/** Pages of /api/explorer/events read at most (100 events each). */
const MAX_API_PAGES = 50;
const SHOWN_MISSING = 20;

type Failure = { ok: false; details: Record<string, unknown> };
const failure = (details: Record<string, unknown>): Failure => ({ ok: false, details });

const hex = (n: bigint) => `0x${n.toString(16)}`;
const txKey = (v: unknown) => (typeof v === 'string' && /^(0x)?[0-9a-fA-F]{64}$/.test(v) ? `0x${v.replace(/^0x/, '').toLowerCase()}` : undefined);

async function rpc(url: string, method: string, params: unknown[], ctx: CheckContext): Promise<{ result: unknown } | Failure> {
  const got = await rpcCall(url, method, params, ctx);
  return 'error' in got ? failure({ rpc_url: safeUrl(url), ...got.error }) : got;
}

/** Transaction hashes of the contracts' logs in [from, to], from eth_getLogs in slices; removed (reorganised) logs are left out. */
async function chainEvents(url: string, spec: ListenerEventsSpec, from: bigint, to: bigint, ctx: CheckContext): Promise<Map<string, bigint> | Failure> {
  const found = new Map<string, bigint>();
  for (let start = from; start <= to; start += BigInt(BLOCKS_PER_CALL)) {
    const end = start + BigInt(BLOCKS_PER_CALL) - 1n < to ? start + BigInt(BLOCKS_PER_CALL) - 1n : to;
    const got = await rpc(url, 'eth_getLogs', [{ fromBlock: hex(start), toBlock: hex(end), address: spec.contracts }], ctx);
    if ('ok' in got) return got;
    if (!Array.isArray(got.result)) {
      return failure({ rpc_url: safeUrl(url), error_class: 'rpc_error', error: `RPC eth_getLogs returned no list of logs (result ${excerpt(JSON.stringify(got.result) ?? 'undefined')})` });
    }
    for (const log of got.result as Array<{ transactionHash?: unknown; blockNumber?: unknown; removed?: unknown }>) {
      const tx = txKey(log?.transactionHash);
      const block = parseBlock(log?.blockNumber);
      if (!tx || block === undefined || log.removed === true) continue;
      found.set(tx, block);
    }
  }
  return found;
}

async function tableExists(table: string, ctx: CheckContext): Promise<boolean> {
  const { rows } = await readDb('look for the events table', () =>
    ctx.db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]),
  );
  return rows[0]?.found === true;
}

/** The listener's own `events` table, when it writes into the database the agent reads. */
async function storedInDatabase(spec: ListenerEventsSpec, from: bigint, to: bigint, ctx: CheckContext): Promise<Set<string> | Failure> {
  try {
    const { rows } = await ctx.db.query<{ tx_hash: string }>(
      `SELECT DISTINCT tx_hash FROM ${spec.eventsTable} WHERE block_number::numeric BETWEEN $1 AND $2`,
      [from.toString(), to.toString()],
    );
    return new Set(rows.map((r) => txKey(r.tx_hash)).filter((t): t is string => t !== undefined));
  } catch (err) {
    return failure({
      error_class: 'internal',
      error: `cannot read the listener's events from the ${spec.eventsTable} table (expected columns tx_hash and block_number): ${redactUrls((err as Error).message)}`,
    });
  }
}

/** The events the API serves (GET /api/explorer/events, explorer login), newest first, until the range is covered. */
async function storedThroughApi(from: bigint, to: bigint, ctx: CheckContext): Promise<Set<string> | Failure> {
  const stored = new Set<string>();
  for (let page = 0; page < MAX_API_PAGES; page += 1) {
    const r = await exchange(
      { method: 'GET', path: `/api/explorer/events?limit=100&offset=${page * 100}`, auth: 'explorer', expect: { status: [200] } },
      ctx,
    );
    if (!r.ok) {
      return failure({ ...r.outcome.details, error: `cannot read the listener's events from the API: ${String(r.outcome.details.error)}` });
    }
    const events = (r.exchange.json as { events?: unknown })?.events;
    if (!Array.isArray(events)) {
      return failure({ url: r.exchange.url, error_class: 'assertion', error: 'GET /api/explorer/events answered without an events list' });
    }
    let older = false;
    for (const e of events as Array<{ tx_hash?: unknown; block_number?: unknown }>) {
      const block = parseBlock(e?.block_number);
      const tx = txKey(e?.tx_hash);
      if (block === undefined || !tx) continue;
      if (block < from) older = true;
      else if (block <= to) stored.add(tx);
    }
    if (older || events.length < 100) return stored;
  }
  return stored;
}

/**
 * Kind `listener_events`: the contracts' logs on chain (eth_getLogs) over the blocks the listener says it has
 * processed, against the events it stored. A listener that keeps writing its heartbeat while its get_logs calls
 * fail (the real one does) passes listener.lag and listener.progress; here it fails with the missing transactions.
 */
export async function runListenerEvents(spec: ListenerEventsSpec, ctx: CheckContext): Promise<CheckOutcome> {
  const rpcUrl = spec.rpcUrl ?? ctx.settings.polygonRpcUrl;
  if (!rpcUrl) return failure({ error_class: 'internal', error: "no RPC URL: set POLYGON_RPC_URL or the check's rpc_url" });
  const base = { rpc_url: safeUrl(rpcUrl) };

  const headAnswer = await rpc(rpcUrl, 'eth_blockNumber', [], ctx);
  if ('ok' in headAnswer) return headAnswer;
  const head = parseBlock(headAnswer.result);
  if (head === undefined) {
    return failure({ ...base, error_class: 'rpc_error', error: `RPC eth_blockNumber returned no block number (result ${JSON.stringify(headAnswer.result)})` });
  }

  // The heartbeat's block is the next one the listener will read: it claims everything before it.
  const { rows } = await readDb("read the listener's block", () =>
    ctx.db.query<{ block_number: string | null }>(
      `SELECT details->>'block_number' AS block_number FROM monitor_metrics WHERE check_name = $1 ORDER BY ts DESC LIMIT 1`,
      [spec.heartbeat],
    ),
  );
  const next = parseBlock(rows[0]?.block_number);
  if (next === undefined) {
    return { ok: true, details: { ...base, head_block: head.toString(), note: `no ${spec.heartbeat} heartbeat with a block number yet: nothing to compare` } };
  }
  const confirmed = head - BigInt(spec.confirmations);
  const to = next - 1n < confirmed ? next - 1n : confirmed;
  const from = to - BigInt(spec.blockRange) + 1n > 0n ? to - BigInt(spec.blockRange) + 1n : 0n;
  const range = { ...base, head_block: head.toString(), block_number: next.toString(), from_block: from.toString(), to_block: to.toString() };
  if (to < from) return { ok: true, details: { ...range, note: 'no confirmed block processed yet' } };

  const onChain = await chainEvents(rpcUrl, spec, from, to, ctx);
  if ('ok' in onChain) return failure({ ...range, ...onChain.details });

  const source = spec.source === 'auto' ? ((await tableExists(spec.eventsTable, ctx)) ? 'database' : 'api') : spec.source;
  const stored = source === 'database' ? await storedInDatabase(spec, from, to, ctx) : await storedThroughApi(from, to, ctx);
  if ('ok' in stored) return failure({ ...range, source, ...stored.details });

  const missing = [...onChain.entries()].filter(([tx]) => !stored.has(tx)).sort((a, b) => (a[1] < b[1] ? -1 : 1));
  const counts = { ...range, source, chain_events: onChain.size, stored_events: stored.size };
  if (!missing.length) return { ok: true, details: counts };
  const shown = missing.slice(0, SHOWN_MISSING).map(([tx]) => tx);
  return failure({
    ...counts,
    error_class: 'missing_events',
    error:
      `the listener stored ${onChain.size - missing.length} of the ${onChain.size} contract events on chain in blocks ${from}–${to} ` +
      `although its heartbeat says it processed them; missing: ${shown.join(', ')}${missing.length > shown.length ? ` and ${missing.length - shown.length} more` : ''}`,
    missing_count: missing.length,
    missing_tx_hashes: shown,
    first_missing_block: missing[0][1].toString(),
  });
}
