import { z } from 'zod';
import type { CheckOutcome } from '../core/types.ts';
import { exchange, httpRequestSchema, runValues, type HttpRequestSpec } from './http.ts';
import { getPath } from './json.ts';
import { specBaseShape } from './spec-base.ts';
import type { CheckContext, CheckSpecBase } from './types.ts';

export interface FlowStep extends HttpRequestSpec {
  name?: string;
  /** Values taken from this step's JSON answer for later steps: {"<variable>": "<dotted path>"}, used as {{variable}}. */
  capture?: Record<string, string>;
}

export interface FlowSpec extends CheckSpecBase {
  kind: 'flow';
  steps: FlowStep[];
}

export const flowSchema = z.strictObject({
  ...specBaseShape,
  kind: z.literal('flow'),
  steps: z.array(httpRequestSchema, { error: 'expected a list of HTTP steps' }).min(1, { error: 'expected at least one step' }),
}) as unknown as z.ZodType<FlowSpec>;

/** Kind `flow`: HTTP steps in order, sharing captured values; the first failing step fails the run. */
export async function runFlow(spec: FlowSpec, ctx: CheckContext): Promise<CheckOutcome> {
  const vars: Record<string, string> = runValues(ctx);
  const steps: Array<{ step: string; status: number }> = [];
  for (const [i, step] of spec.steps.entries()) {
    const label = step.name ?? `step ${i + 1}`;
    const r = await exchange(step, ctx, vars);
    if (!r.ok) {
      const d = r.outcome.details;
      return { ok: false, details: { ...d, step: label, step_index: i, steps, error: `${label}: ${String(d.error)}` } };
    }
    steps.push({ step: label, status: r.exchange.status });
    for (const [name, path] of Object.entries(step.capture ?? {})) {
      const { found, value } = getPath(r.exchange.json, path);
      if (!found || value === null || typeof value === 'object') {
        return {
          ok: false,
          details: {
            url: r.exchange.url,
            status: r.exchange.status,
            step: label,
            step_index: i,
            steps,
            error_class: 'assertion',
            error: `${label}: cannot capture ${name} from ${path} (${found ? 'not a text or number' : 'missing'})`,
            path,
          },
        };
      }
      vars[name] = String(value);
    }
  }
  return { ok: true, details: { steps } };
}
