// Incident state changes as pure functions: (streaks, open incidents, thresholds, result) → transitions.
// The engine persists streaks and applies transitions in one transaction per check.
import type { CheckResult, Condition, Severity } from '../core/types.ts';
import type { IncidentCondition } from '../alerts/format.ts';

export const CHECK_CONDITIONS: readonly Condition[] = ['down', 'slow', 'listener_stalled', 'no_progress', 'rpc_stalled', 'behind_head'];

export interface Streak {
  failures: number;
  successes: number;
  /** Timestamp of the first failure of the current run of failures. */
  failingSince: Date | null;
}

export interface OpenIncident {
  id: number;
  condition: IncidentCondition;
  severity: Severity;
  /** Set when a slow incident became a down one. */
  escalatedFrom?: IncidentCondition;
}

export interface Policy {
  failureThreshold: number;
  successThreshold: number;
  /** Severity of down and the listener conditions. */
  severity: Severity;
  slowSeverity: Severity;
}

export type Transition =
  /** provisionalId: set by the engine, so later transitions of the same batch can name an incident not yet inserted. */
  | { type: 'open'; condition: Condition; severity: Severity; since: Date; provisionalId?: number }
  | { type: 'escalate'; incidentId: number; from: IncidentCondition; to: Condition; severity: Severity }
  | { type: 'deescalate'; incidentId: number; to: Condition; severity: Severity }
  | { type: 'resolve'; incidentId: number; condition: IncidentCondition };

export type Verdict = 'bad' | 'good' | 'neutral';

export const isSlow = (r: CheckResult): boolean => r.ok && r.details?.slow === true;
export const failedCondition = (r: CheckResult): Condition | undefined =>
  r.ok ? undefined : (r.condition ?? (r.details?.condition as Condition | undefined) ?? 'down');

/**
 * How one result counts for one condition. A down run also counts against `slow` (the service is at least
 * as bad as slow), so a slow incident keeps its streak while the check fails outright.
 */
export function verdict(condition: Condition, r: CheckResult): Verdict {
  const failed = failedCondition(r);
  if (condition === 'slow') {
    if (isSlow(r) || failed === 'down') return 'bad';
    return r.ok ? 'good' : 'neutral';
  }
  if (failed === condition) return 'bad';
  return r.ok ? 'good' : 'neutral';
}

export function advance(streak: Streak, v: Verdict, ts: Date): Streak {
  if (v === 'bad') {
    return { failures: streak.failures + 1, successes: 0, failingSince: streak.failures === 0 ? ts : streak.failingSince ?? ts };
  }
  if (v === 'good') return { failures: 0, successes: streak.successes + 1, failingSince: null };
  return streak;
}

/** Conditions whose streak this result moves: down and slow always, plus the failing one. */
export function touchedConditions(r: CheckResult, existing: Iterable<string>): Condition[] {
  const set = new Set<Condition>(['down', 'slow']);
  const failed = failedCondition(r);
  if (failed) set.add(failed);
  for (const c of existing) if ((CHECK_CONDITIONS as readonly string[]).includes(c)) set.add(c as Condition);
  return [...set];
}

const empty: Streak = { failures: 0, successes: 0, failingSince: null };

/** What should happen after `r`, given the updated streaks and the incidents open for this check. */
export function decide(
  streaks: ReadonlyMap<Condition, Streak>,
  open: readonly OpenIncident[],
  policy: Policy,
  r: CheckResult,
): Transition[] {
  const out: Transition[] = [];
  const get = (c: Condition) => streaks.get(c) ?? empty;
  const openBy = (c: IncidentCondition) => open.find((i) => i.condition === c);
  // Conditions this very result opens (or escalates into), so one run never opens both slow and down.
  const opening = new Set<Condition>();
  const isOpen = (c: Condition) => Boolean(openBy(c)) || opening.has(c);
  const severityOf = (c: Condition) => (c === 'slow' ? policy.slowSeverity : policy.severity);

  for (const c of CHECK_CONDITIONS) {
    const s = get(c);
    if (s.failures < policy.failureThreshold || isOpen(c)) continue;
    // A slow incident opens on a slow run only; an outright failure is down's business.
    if (c === 'slow' && (isOpen('down') || !isSlow(r))) continue;
    opening.add(c);
    const slow = openBy('slow');
    if (c === 'down' && slow) {
      out.push({ type: 'escalate', incidentId: slow.id, from: 'slow', to: 'down', severity: policy.severity });
      continue;
    }
    out.push({ type: 'open', condition: c, severity: severityOf(c), since: s.failingSince ?? r.ts });
  }

  for (const incident of open) {
    if (incident.condition === 'budget_burn') continue;
    const c = incident.condition as Condition;
    if (get(c).successes < policy.successThreshold) continue;
    if (c === 'down' && incident.escalatedFrom === 'slow' && isSlow(r)) {
      out.push({ type: 'deescalate', incidentId: incident.id, to: 'slow', severity: policy.slowSeverity });
    } else {
      out.push({ type: 'resolve', incidentId: incident.id, condition: c });
    }
  }
  return out;
}
