import type { AnyCheckFn, CheckContext, CheckSpecBase } from '../checks/types.ts';
import { isDatabaseFailure } from '../checks/errors.ts';
import { redactDeep } from './secrets.ts';
import type { CheckResult, ErrorClass } from './types.ts';

export type ErrorClassifier = (err: unknown, signal?: AbortSignal) => { error_class: ErrorClass; error: string };

export class CheckTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Runs one check once, for every kind alike: applies the timeout (aborting the check's signal, and not
 * waiting for a check that ignores it), measures latency on the monotonic clock, turns anything thrown
 * into a classified failure, and flags a passing run that was over its latency objective as slow.
 */
export async function runCheck(
  spec: CheckSpecBase,
  fn: AnyCheckFn,
  ctx: Omit<CheckContext, 'signal'> & { signal?: AbortSignal },
  classify: ErrorClassifier,
): Promise<CheckResult> {
  const ts = ctx.clock.now();
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new CheckTimeoutError(spec.timeoutMs);
      controller.abort(err);
      reject(err);
    }, spec.timeoutMs);
  });
  const started = ctx.clock.monotonic();
  let result: CheckResult;
  try {
    const outcome = await Promise.race([fn(spec, { ...ctx, signal: controller.signal }), timedOut]);
    const latencyMs = ctx.clock.monotonic() - started;
    result = { check: spec.name, ts, ok: outcome.ok, latencyMs, details: { ...outcome.details } };
    if (!outcome.ok) {
      result.condition = outcome.condition ?? 'down';
      result.details.condition = result.condition;
    }
  } catch (err) {
    const latencyMs = ctx.clock.monotonic() - started;
    const { error_class, error } = err instanceof CheckTimeoutError
      ? { error_class: 'timeout' as const, error: `no answer within ${spec.timeoutMs} ms` }
      : classify(err, controller.signal);
    const known = (err as { details?: unknown })?.details;
    const extra = known && typeof known === 'object' ? (known as Record<string, unknown>) : {};
    result = { check: spec.name, ts, ok: false, latencyMs, condition: 'down', details: { ...extra, error_class, error, condition: 'down' } };
    if (isDatabaseFailure(err)) result.unrecordable = error;
  } finally {
    clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', onOuterAbort);
  }
  const objective = spec.latencySloMs ?? ctx.settings.sloLatencyMs;
  if (result.ok && result.latencyMs > objective) {
    result.details.slow = true;
    result.details.latency_objective_ms = objective;
    result.condition = 'slow';
  }
  // A target may echo what it was sent (the token, the password): nothing of it is stored.
  result.details = redactDeep(result.details);
  if (result.unrecordable) result.unrecordable = redactDeep(result.unrecordable);
  return result;
}
