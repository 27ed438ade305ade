import { classifyError, DEFAULT_MAX_RESPONSE_BYTES, redactUrls } from './errors.ts';
import { readBounded } from './transport.ts';
import { excerpt } from './json.ts';
import type { CheckContext } from './types.ts';

/**
 * One JSON-RPC call within a check run: its result, or the failure's details (`rpc_error`, or `timeout`) with a
 * readable sentence naming the method. The URL is not in the details: callers add it without its query string.
 */
export async function rpcCall(
  url: string,
  method: string,
  params: unknown[],
  ctx: CheckContext,
): Promise<{ result: unknown } | { error: Record<string, unknown> }> {
  let res: Response;
  let text: string;
  try {
    res = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: ctx.signal,
    });
    text = new TextDecoder().decode(await readBounded(res, ctx.settings.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES));
  } catch (err) {
    const c = classifyError(err, ctx.signal);
    return {
      error: {
        error_class: c.error_class === 'timeout' || c.error_class === 'too_large' ? c.error_class : 'rpc_error',
        error: `RPC ${method} failed: ${c.error}`,
        cause_class: c.error_class,
      },
    };
  }
  if (!res.ok) {
    return { error: { error_class: 'rpc_error', error: `RPC ${method} answered HTTP ${res.status}`, status: res.status, body_excerpt: excerpt(text) } };
  }
  let body: { result?: unknown; error?: { message?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    return { error: { error_class: 'rpc_error', error: `RPC ${method} answer is not JSON`, status: res.status, body_excerpt: excerpt(text) } };
  }
  if (body?.error) {
    const message = String(body.error.message ?? JSON.stringify(body.error)).slice(0, 200);
    return { error: { error_class: 'rpc_error', error: `RPC ${method} error: ${redactUrls(message)}` } };
  }
  return { result: body?.result };
}
