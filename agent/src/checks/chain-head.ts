import { z } from 'zod';
import type { CheckOutcome } from '../core/types.ts';
import { classifyError, DEFAULT_MAX_RESPONSE_BYTES, readBounded, readDb, safeUrl } from './errors.ts';
import { excerpt } from './json.ts';
import { formatAge } from './listener-lag.ts';
import { specBaseShape } from './spec-base.ts';
import type { CheckContext, CheckSpecBase } from './types.ts';

export interface ChainHeadSpec extends CheckSpecBase {
  kind: 'chain_head';
  /** JSON-RPC endpoint; default POLYGON_RPC_URL. */
  rpcUrl?: string;
  /** The listener is behind when the chain head is more than this many blocks ahead of it. */
  maxLagBlocks: number;
  /** The RPC is stalled when its head has not advanced for this long. */
  rpcStallMinutes: number;
  heartbeat: string;
}

export const chainHeadSchema = z.strictObject({
  ...specBaseShape,
  kind: z.literal('chain_head'),
  rpcUrl: z
    .string({ error: 'expected an http(s) URL' })
    .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), { error: 'expected an http(s) URL' })
    .optional(),
  maxLagBlocks: z
    .number({ error: 'expected a number of blocks' })
    .int({ error: 'expected a whole number of blocks' })
    .min(0, { error: 'expected 0 or more blocks' })
    .default(50),
  rpcStallMinutes: z
    .number({ error: 'expected a number of minutes' })
    .positive({ error: 'expected a positive number of minutes' })
    .default(5),
  heartbeat: z.string({ error: 'expected a check name' }).min(1).default('listener.tick'),
}) as unknown as z.ZodType<ChainHeadSpec>;

interface HeadSeen {
  block: bigint;
  /** Clock time when this head was first seen. */
  since: number;
}

function parseBlock(raw: unknown): bigint | undefined {
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return BigInt(raw);
  if (typeof raw === 'string' && /^\s*(0x[0-9a-fA-F]+|[0-9]+)\s*$/.test(raw)) return BigInt(raw.trim());
  return undefined;
}

async function fetchHead(url: string, ctx: CheckContext): Promise<{ head: bigint } | { error: Record<string, unknown> }> {
  let res: Response;
  let text: string;
  try {
    res = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      signal: ctx.signal,
    });
    text = new TextDecoder().decode(await readBounded(res, ctx.settings.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES));
  } catch (err) {
    const c = classifyError(err, ctx.signal);
    return {
      error: {
        error_class: c.error_class === 'timeout' || c.error_class === 'too_large' ? c.error_class : 'rpc_error',
        error: `RPC eth_blockNumber failed: ${c.error}`,
        cause_class: c.error_class,
      },
    };
  }
  if (!res.ok) {
    return {
      error: {
        error_class: 'rpc_error',
        error: `RPC eth_blockNumber answered HTTP ${res.status}`,
        status: res.status,
        body_excerpt: excerpt(text),
      },
    };
  }
  let body: { result?: unknown; error?: { message?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    return {
      error: {
        error_class: 'rpc_error',
        error: 'RPC eth_blockNumber answer is not JSON',
        status: res.status,
        body_excerpt: excerpt(text),
      },
    };
  }
  if (body?.error) {
    return {
      error: {
        error_class: 'rpc_error',
        error: `RPC eth_blockNumber error: ${String(body.error.message ?? JSON.stringify(body.error)).slice(0, 200)}`,
      },
    };
  }
  const head = typeof body?.result === 'string' && /^0x[0-9a-fA-F]+$/.test(body.result) ? BigInt(body.result) : undefined;
  if (head === undefined) {
    return {
      error: {
        error_class: 'rpc_error',
        error: `RPC eth_blockNumber returned no block number (result ${JSON.stringify(body?.result)})`,
      },
    };
  }
  return { head };
}

/**
 * Kind `chain_head`: the chain's head block (eth_blockNumber) against the listener's newest block.
 * Tells an RPC whose head stopped moving apart from a listener that falls behind a moving head.
 */
export async function runChainHead(spec: ChainHeadSpec, ctx: CheckContext): Promise<CheckOutcome> {
  const rpcUrl = spec.rpcUrl ?? ctx.settings.polygonRpcUrl;
  if (!rpcUrl) {
    return { ok: false, details: { error_class: 'internal', error: "no RPC URL: set POLYGON_RPC_URL or the check's rpcUrl" } };
  }
  const base = { rpc_url: safeUrl(rpcUrl) };
  const got = await fetchHead(rpcUrl, ctx);
  if ('error' in got) return { ok: false, details: { ...base, ...got.error } };
  const head = got.head;

  const now = ctx.clock.now().getTime();
  let seen = ctx.memory.get('head') as HeadSeen | undefined;
  if (!seen || seen.block !== head) {
    seen = { block: head, since: now };
    ctx.memory.set('head', seen);
  }
  const headUnchangedSec = (now - seen.since) / 1000;

  const { rows } = await readDb("read the listener's block", () =>
    ctx.db.query<{ block_number: string | null }>(
      `SELECT details->>'block_number' AS block_number FROM monitor_metrics
      WHERE check_name = $1 ORDER BY ts DESC LIMIT 1`,
      [spec.heartbeat],
    ),
  );
  const listener = parseBlock(rows[0]?.block_number);
  const details: Record<string, unknown> = {
    ...base,
    head_block: head.toString(),
    head_unchanged_sec: Math.round(headUnchangedSec),
  };
  if (listener !== undefined) {
    details.block_number = listener.toString();
    details.lag_blocks = Number(head - listener);
  } else {
    details.note = rows[0] ? `the newest ${spec.heartbeat} has no numeric block_number` : `no ${spec.heartbeat} heartbeat yet`;
  }

  if (headUnchangedSec >= spec.rpcStallMinutes * 60) {
    const listenerAhead = listener !== undefined && listener > head;
    return {
      ok: false,
      condition: 'rpc_stalled',
      details: {
        ...details,
        error_class: 'rpc_stalled',
        error: `the RPC's chain head has been ${head} for ${formatAge(headUnchangedSec)}${listenerAhead ? ` while the listener is already at ${listener}` : ''}: the RPC endpoint is stalled, not the listener`,
      },
    };
  }
  if (listener !== undefined && head - listener > BigInt(spec.maxLagBlocks)) {
    return {
      ok: false,
      condition: 'behind_head',
      details: {
        ...details,
        error_class: 'behind_head',
        error: `the listener is ${head - listener} blocks behind the chain head (${listener} vs ${head}, limit ${spec.maxLagBlocks})`,
        expected: `<= ${spec.maxLagBlocks} blocks`,
        actual: Number(head - listener),
      },
    };
  }
  return { ok: true, details };
}
