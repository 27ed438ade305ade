import { z } from 'zod';
import type { CheckOutcome } from '../core/types.ts';
import { readDb, safeUrl } from './errors.ts';
import { rpcCall } from './json-rpc.ts';
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

/** A JSON-RPC endpoint given in a checks file (else POLYGON_RPC_URL). */
export const rpcUrlSchema = z
  .string({ error: 'expected an http(s) URL' })
  .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), { error: 'expected an http(s) URL' })
  .optional();

export const chainHeadSchema = z.strictObject({
  ...specBaseShape,
  kind: z.literal('chain_head'),
  rpcUrl: rpcUrlSchema,
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

/** A block number from a heartbeat or an RPC answer: decimal or 0x-hex text, or a safe integer. */
export function parseBlock(raw: unknown): bigint | undefined {
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return BigInt(raw);
  if (typeof raw === 'string' && /^\s*(0x[0-9a-fA-F]+|[0-9]+)\s*$/.test(raw)) return BigInt(raw.trim());
  return undefined;
}

async function fetchHead(url: string, ctx: CheckContext): Promise<{ head: bigint } | { error: Record<string, unknown> }> {
  const got = await rpcCall(url, 'eth_blockNumber', [], ctx);
  if ('error' in got) return got;
  const head = typeof got.result === 'string' && /^0x[0-9a-fA-F]+$/.test(got.result) ? BigInt(got.result) : undefined;
  if (head === undefined) {
    return {
      error: {
        error_class: 'rpc_error',
        error: `RPC eth_blockNumber returned no block number (result ${JSON.stringify(got.result)})`,
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
