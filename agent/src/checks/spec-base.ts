import { CHECK_NAME, CHECK_NAME_RULE, LOCATION_NAME, LOCATION_NAME_RULE } from '@blocktrust-monitor/contract';
import { z } from 'zod';

export const severitySchema = z.enum(['info', 'warn', 'crit'], { error: 'expected one of info, warn, crit' });

/** The fields every check has; each kind extends it. Defaults are filled in by parseCheckSpec before validation. */
export const specBaseShape = {
  name: z
    .string({ error: 'expected a check name' })
    .regex(CHECK_NAME, { error: `expected a check name: ${CHECK_NAME_RULE}` }),
  enabled: z.boolean({ error: 'expected true or false' }).default(true),
  intervalSec: z.number({ error: 'expected a number of seconds' }).min(1, { error: 'expected at least 1 second' }).max(86_400, {
    error: 'expected at most 86400 seconds',
  }),
  timeoutMs: z
    .number({ error: 'expected a number of milliseconds' })
    .int({ error: 'expected whole milliseconds' })
    .min(100, {
      error: 'expected at least 100 ms',
    })
    .max(300_000, { error: 'expected at most 300000 ms' }),
  severity: severitySchema.default('crit'),
  slowSeverity: severitySchema.default('warn'),
  latencySloMs: z
    .number({ error: 'expected a number of milliseconds' })
    .positive({ error: 'expected a positive number' })
    .optional(),
  uptimeTarget: z
    .number({ error: 'expected a percentage' })
    .gt(0, { error: 'expected a percentage above 0' })
    .max(100, { error: 'expected a percentage of at most 100' })
    .optional(),
  failureThreshold: z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).min(1, {
    error: 'expected at least 1',
  }),
  successThreshold: z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).min(1, {
    error: 'expected at least 1',
  }),
  locations: z.union([
    z.literal('all'),
    z.array(z.string({ error: `expected a location name: ${LOCATION_NAME_RULE}` })
      .regex(LOCATION_NAME, { error: `expected a location name: ${LOCATION_NAME_RULE}` }), {
      error: 'expected "all" or a list of location names',
    }).min(1, { error: 'expected at least one location (or "all")' })
      .refine((list) => new Set(list).size === list.length, { error: 'a location is listed twice' }),
  ], { error: 'expected "all" or a list of location names' }).optional(),
  quorum: z.number({ error: 'expected a whole number of locations' }).int({ error: 'expected a whole number of locations' })
    .min(1, { error: 'expected at least 1 location' }).optional(),
};
