// The incident policy, as pure functions of (state, results, targets, now) → effects: streaks and transitions for
// check results, burn rates, reminders, late announcements, stale incidents and the incident.* intents. Nothing
// here reads a clock or a database; a store loads the state and applies the effects.
import type { CheckResult, Condition, Severity } from '../core/types.ts';
import type { IncidentCondition } from '../alerts/format.ts';
import { conditionLabel, formatDuration } from '../alerts/format.ts';
import { CHECK_CONDITIONS as CONDITIONS, type AlertValues, type Effect, type Incident, type IncidentDetails } from './model.ts';

export const CHECK_CONDITIONS: readonly Condition[] = CONDITIONS;

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

// ---- from transitions to effects -------------------------------------------------------------------------------

/** What the policy needs of a check's spec (the engine passes the spec; tests pass a literal). */
export interface CheckTargets {
  failureThreshold?: number;
  successThreshold?: number;
  severity?: Severity;
  slowSeverity?: Severity;
  intervalSec?: number;
}

export function policyOf(spec: CheckTargets | undefined, defaults: { failureThreshold?: number; successThreshold?: number } = {}): Policy {
  return {
    failureThreshold: spec?.failureThreshold ?? defaults.failureThreshold ?? 2,
    successThreshold: spec?.successThreshold ?? defaults.successThreshold ?? 2,
    severity: spec?.severity ?? 'crit',
    slowSeverity: spec?.slowSeverity ?? 'warn',
  };
}

/** The latency objective a run was judged by: the one field the runner writes, with SLO targets applied. */
export function objectiveOf(r: CheckResult): number | undefined {
  const o = r.details?.latency_objective_ms;
  return typeof o === 'number' && Number.isFinite(o) ? o : undefined;
}

/** The actual values an alert shows, taken from a result. */
export function alertValues(r: CheckResult): AlertValues {
  const d = r.details ?? {};
  const v: AlertValues = {};
  if (typeof d.status === 'number') v.status = d.status;
  if (Number.isFinite(r.latencyMs)) v.latency_ms = Math.round(r.latencyMs);
  const objective = objectiveOf(r);
  if (objective !== undefined && (d.slow === true || r.condition === 'slow')) v.latency_target_ms = objective;
  for (const key of ['lag_sec', 'max_lag_sec', 'block_number', 'head_block', 'lag_blocks'] as const) {
    const x = d[key];
    if (typeof x === 'number' || (typeof x === 'string' && x !== '')) v[key] = x;
  }
  return v;
}

export function detailOf(r: CheckResult, condition: Condition): string {
  if (typeof r.details?.error === 'string' && r.details.error) return r.details.error;
  if (condition === 'slow') {
    const objective = objectiveOf(r);
    return `Took ${Math.round(r.latencyMs)} ms${objective !== undefined ? `, over the ${objective} ms objective` : ''}.`;
  }
  return `${r.check} failed.`;
}

const titleOf = (check: string, condition: IncidentCondition) => `${check}: ${conditionLabel(condition)}`;

/** An incident known to the policy: loaded ones, and ones opened earlier in the same list of effects (ref < 0). */
export interface KnownIncident {
  id: number;
  check: string;
  condition: IncidentCondition;
  severity: Severity;
  openedAt: Date;
  escalatedFrom?: IncidentCondition;
  escalations: number;
}

export function knownOf(i: Incident): KnownIncident {
  return {
    id: i.id, check: i.check, condition: i.condition, severity: i.severity, openedAt: i.openedAt,
    escalatedFrom: i.details.escalated_from, escalations: i.details.escalations ?? 0,
  };
}

/** The effects of resolving an incident: the state change, its timeline event and the notification. */
export function resolveEffects(i: KnownIncident, at: Date, actor: string, comment?: string): Effect[] {
  const resolvedAt = at.getTime() < i.openedAt.getTime() ? i.openedAt : at;
  const durationSec = Math.max(0, (resolvedAt.getTime() - i.openedAt.getTime()) / 1000);
  return [
    { type: 'resolve', incident: i.id, check: i.check, condition: i.condition, at, actor, ...(comment ? { comment } : {}) },
    {
      type: 'event', incident: i.id, at, kind: 'resolved', actor,
      message: `resolved after ${formatDuration(durationSec)}${actor === 'agent' ? '' : ` by ${actor}`}${comment ? `: ${comment}` : ''}`,
      details: { duration_sec: Math.round(durationSec), ...(comment ? { comment } : {}) },
    },
    {
      type: 'notify', incident: i.id, kind: 'resolved', seq: 0,
      extra: { resolvedAfterSec: durationSec, ...(actor === 'agent' ? {} : { resolvedBy: actor }), ...(comment ? { comment } : {}) },
    },
  ];
}

/**
 * One transition decided on result `r` → its effects (state change, timeline event, notification); `open` follows.
 * `locations` is set for a check run from several locations: which failing ones made the decision.
 */
function transitionEffects(
  check: string, t: Transition, r: CheckResult, open: KnownIncident[], nextRef: () => number, locations?: QuorumView,
): Effect[] {
  const effects: Effect[] = [];
  const values = alertValues(r);
  const where = locations ? { locations: { failing: locations.failing, live: locations.live, quorum: locations.quorum } } : {};
  if (t.type === 'open') {
    const ref = nextRef();
    const detail = detailOf(r, t.condition);
    const details: IncidentDetails = {
      ...where,
      values, error_class: typeof r.details?.error_class === 'string' ? r.details.error_class : null,
      url: typeof r.details?.url === 'string' ? r.details.url : null, opened_by_result_at: r.ts.toISOString(),
      ...(t.condition === 'slow' && objectiveOf(r) !== undefined ? { latency_objective_ms: objectiveOf(r) } : {}),
    };
    effects.push(
      { type: 'open', ref, check, condition: t.condition, severity: t.severity, since: t.since, at: r.ts, title: titleOf(check, t.condition), detail, details },
      {
        type: 'event', incident: ref, at: r.ts, kind: 'opened', details: { values, detail, ...where },
        message: `${titleOf(check, t.condition)} (${t.severity})${locations ? `: ${quorumSentence(locations)}` : ''}`,
      },
      { type: 'notify', incident: ref, kind: 'opened', seq: 0 },
    );
    open.push({ id: ref, check, condition: t.condition, severity: t.severity, openedAt: t.since, escalations: 0 });
  } else {
    const i = open.find((o) => o.id === t.incidentId)!;
    if (t.type === 'escalate') {
      const detail = detailOf(r, t.to);
      const escalations = i.escalations + 1;
      effects.push(
        {
          type: 'escalate', incident: i.id, check, from: i.condition, to: t.to, severity: t.severity, at: r.ts, title: titleOf(check, t.to), detail,
          values, ...where,
        },
        {
          type: 'event', incident: i.id, at: r.ts, kind: 'escalated',
          message: `escalated from ${i.severity} ${t.from} to ${t.severity} ${t.to}${locations ? `: ${quorumSentence(locations)}` : ''}`,
          details: { from: t.from, to: t.to, values, detail, ...where },
        },
        { type: 'notify', incident: i.id, kind: 'escalated', seq: escalations, extra: { previousSeverity: i.severity, previousCondition: t.from } },
      );
      Object.assign(i, { escalatedFrom: i.condition, condition: t.to, severity: t.severity, escalations });
    } else if (t.type === 'deescalate') {
      effects.push(
        { type: 'deescalate', incident: i.id, check, to: t.to, severity: t.severity, at: r.ts, title: titleOf(check, t.to) },
        { type: 'event', incident: i.id, at: r.ts, kind: 'deescalated', message: `back to ${t.severity} ${t.to}: the check passes again but is still slow` },
      );
      Object.assign(i, { escalatedFrom: undefined, condition: t.to, severity: t.severity });
    } else {
      const resolved = resolveEffects(i, r.ts, 'agent');
      // The timeline says why a quorum incident ended: how many locations still fail, of how many live ones.
      if (locations) {
        for (const e of resolved) {
          if (e.type !== 'event') continue;
          e.details = { ...(e.details as object), ...where };
          e.message += `: ${quorumSentence(locations)}`;
        }
      }
      effects.push(...resolved);
      open.splice(open.indexOf(i), 1);
    }
  }
  return effects;
}

/**
 * One check's results of a batch, in time order → effects. `streaks` is advanced in place; `open` follows the
 * effects; `nextRef` hands out the negative ids of incidents opened here.
 */
export function decideResults(
  check: string,
  results: readonly CheckResult[],
  state: { streaks: Map<Condition, Streak>; open: KnownIncident[] },
  policy: Policy,
  nextRef: () => number,
): { effects: Effect[]; touched: Set<Condition> } {
  const effects: Effect[] = [];
  const touched = new Set<Condition>();
  const { streaks, open } = state;
  for (const r of results) {
    if (r.details?.agent_overloaded) continue;
    for (const c of touchedConditions(r, streaks.keys())) {
      streaks.set(c, advance(streaks.get(c) ?? { failures: 0, successes: 0, failingSince: null }, verdict(c, r), r.ts));
      touched.add(c);
    }
    const view: OpenIncident[] = open.map((i) => ({ id: i.id, condition: i.condition, severity: i.severity, escalatedFrom: i.escalatedFrom }));
    for (const t of decide(streaks, view, policy, r)) effects.push(...transitionEffects(check, t, r, open, nextRef));
  }
  return { effects, touched };
}

// ---- locations and quorum -------------------------------------------------------------------------------------

/** How many failing locations open an incident: the configured quorum (at most the live locations), else a majority. */
export function quorumOf(configured: number | undefined, liveCount: number): number {
  const live = Math.max(liveCount, 1);
  return configured === undefined ? Math.floor(live / 2) + 1 : Math.min(configured, live);
}

/**
 * Whether one location counts as failing a condition, with its own thresholds: it starts failing at the failure
 * threshold and stops at the success threshold, as an incident of a check run from one place opens and resolves.
 */
export function locationFailing(wasFailing: boolean, s: Streak, policy: Pick<Policy, 'failureThreshold' | 'successThreshold'>): boolean {
  return wasFailing ? s.successes < policy.successThreshold : s.failures >= policy.failureThreshold;
}

/** The locations behind a quorum decision on one condition, as incidents and alerts name them. */
export interface QuorumView {
  /** Live locations failing the condition, sorted. */
  failing: string[];
  /** Locations with a live agent that the check runs in, sorted. */
  live: string[];
  quorum: number;
}

/** "2 of 3 locations failing: frankfurt, sao-paulo" ('' is an agent without a location). */
export function quorumSentence(v: QuorumView): string {
  return `${v.failing.length} of ${v.live.length} location${v.live.length === 1 ? '' : 's'} failing` +
    `${v.failing.length ? `: ${v.failing.map((l) => l || '(no location)').join(', ')}` : ''} (quorum ${v.quorum})`;
}

/** Which live locations fail each condition. `failing` holds each location's failing conditions; dead ones are left out. */
export function quorumViews(
  failing: ReadonlyMap<string, ReadonlySet<Condition>>, live: readonly string[], configured: number | undefined,
): Map<Condition, QuorumView> {
  const places = [...new Set(live)].sort();
  const quorum = quorumOf(configured, places.length);
  const out = new Map<Condition, QuorumView>();
  for (const c of CHECK_CONDITIONS) {
    out.set(c, { failing: places.filter((l) => failing.get(l)?.has(c)), live: places, quorum });
  }
  return out;
}

/**
 * The transitions of a check run from several locations after result `r`: an incident of a condition opens when at
 * least `quorum` live locations fail it and resolves when fewer do. One incident per check and condition, as for
 * any check: slow defers to down and opens on a slow run only, and a down incident that began slow goes back to
 * slow while a quorum is still slow.
 */
export function decideQuorum(
  views: ReadonlyMap<Condition, QuorumView>, open: readonly OpenIncident[], policy: Policy, r: CheckResult,
): Transition[] {
  const out: Transition[] = [];
  const reached = (c: Condition) => {
    const v = views.get(c);
    return v !== undefined && v.failing.length >= v.quorum;
  };
  const openBy = (c: IncidentCondition) => open.find((i) => i.condition === c);
  for (const c of CHECK_CONDITIONS) {
    if (!reached(c) || openBy(c)) continue;
    if (c === 'slow' && (openBy('down') || reached('down') || !isSlow(r))) continue;
    const slow = openBy('slow');
    if (c === 'down' && slow) {
      out.push({ type: 'escalate', incidentId: slow.id, from: 'slow', to: 'down', severity: policy.severity });
      continue;
    }
    out.push({ type: 'open', condition: c, severity: c === 'slow' ? policy.slowSeverity : policy.severity, since: new Date(0) });
  }
  for (const incident of open) {
    if (incident.condition === 'budget_burn') continue;
    const c = incident.condition as Condition;
    if (reached(c)) continue;
    if (c === 'down' && incident.escalatedFrom === 'slow' && reached('slow')) {
      out.push({ type: 'deescalate', incidentId: incident.id, to: 'slow', severity: policy.slowSeverity });
    } else {
      out.push({ type: 'resolve', incidentId: incident.id, condition: c });
    }
  }
  return out;
}

/**
 * One location's results of a multi-location check, in time order → effects. The location's streaks and failing
 * conditions (`failing`) are advanced in place; `others` holds what the other locations fail as last stored, and
 * `live` the locations that count. An opening is dated from this location's first failure.
 */
export function decideLocationResults(
  check: string,
  results: readonly CheckResult[],
  state: { streaks: Map<Condition, Streak>; failing: Set<Condition>; open: KnownIncident[] },
  where: { location: string; others: ReadonlyMap<string, ReadonlySet<Condition>>; live: readonly string[]; quorum?: number },
  policy: Policy,
  nextRef: () => number,
): { effects: Effect[]; touched: Set<Condition> } {
  const effects: Effect[] = [];
  const touched = new Set<Condition>();
  const { streaks, failing, open } = state;
  const live = where.live.includes(where.location) ? where.live : [...where.live, where.location];
  for (const r of results) {
    if (r.details?.agent_overloaded) continue;
    for (const c of touchedConditions(r, streaks.keys())) {
      const s = advance(streaks.get(c) ?? { failures: 0, successes: 0, failingSince: null }, verdict(c, r), r.ts);
      streaks.set(c, s);
      touched.add(c);
      if (locationFailing(failing.has(c), s, policy)) failing.add(c);
      else failing.delete(c);
    }
    const views = quorumViews(new Map([...where.others, [where.location, failing]]), live, where.quorum);
    const view: OpenIncident[] = open.map((i) => ({ id: i.id, condition: i.condition, severity: i.severity, escalatedFrom: i.escalatedFrom }));
    for (const t of decideQuorum(views, view, policy, r)) {
      const c = t.type === 'open' ? t.condition : t.type === 'resolve' ? t.condition as Condition : t.to;
      const since = t.type === 'open' ? { ...t, since: streaks.get(t.condition)?.failingSince ?? r.ts } : t;
      effects.push(...transitionEffects(check, since, r, open, nextRef, views.get(c)));
    }
  }
  return { effects, touched };
}

// ---- burn rates ------------------------------------------------------------------------------------------------

export interface BurnWindowPair {
  longSec: number;
  shortSec: number;
  /** Both windows must burn at least this fast. */
  factor: number;
}

export interface BurnPolicy {
  crit: BurnWindowPair;
  warn: BurnWindowPair;
  /** A window counts as evidence only with at least this many results… */
  minSamples: number;
  /** …covering at least this share of its length (results × the check's interval ÷ window length). */
  minCoverage: number;
}

export const DEFAULT_BURN_POLICY: BurnPolicy = {
  crit: { longSec: 3600, shortSec: 300, factor: 12 },
  warn: { longSec: 21_600, shortSec: 1800, factor: 3 },
  minSamples: 5,
  minCoverage: 0.5,
};

export type BurnWindow = 'critLong' | 'critShort' | 'warnLong' | 'warnShort';
export type BurnRates = Record<BurnWindow, number>;

/** One check's burn rates as measured: per window, the rate and the number of results behind it. */
export interface BurnMeasure {
  check: string;
  rates: BurnRates;
  samples: Record<BurnWindow, number>;
  uptimeTarget: number | null;
}

export function windowSec(policy: BurnPolicy, w: BurnWindow): number {
  return { critLong: policy.crit.longSec, critShort: policy.crit.shortSec, warnLong: policy.warn.longSec, warnShort: policy.warn.shortSec }[w];
}

/** The rates that count: a window without enough evidence (too few results, or too little of it covered) burns 0. */
export function evidencedRates(m: BurnMeasure, intervalSec: number, policy: BurnPolicy = DEFAULT_BURN_POLICY): BurnRates {
  const out = { ...m.rates };
  for (const w of Object.keys(out) as BurnWindow[]) {
    const n = m.samples[w] ?? 0;
    const covered = (n * intervalSec) / windowSec(policy, w);
    if (n < policy.minSamples || covered < policy.minCoverage) out[w] = 0;
  }
  return out;
}

/** Which alert the burn rates call for, if any. */
export function burnSeverity(b: BurnRates, policy: Pick<BurnPolicy, 'crit' | 'warn'> = DEFAULT_BURN_POLICY): Severity | null {
  if (b.critLong >= policy.crit.factor && b.critShort >= policy.crit.factor) return 'crit';
  if (b.warnLong >= policy.warn.factor && b.warnShort >= policy.warn.factor) return 'warn';
  return null;
}

/** True once both short windows are below their factors: the burning has stopped. */
export function burnCooled(b: BurnRates, policy: Pick<BurnPolicy, 'crit' | 'warn'> = DEFAULT_BURN_POLICY): boolean {
  return b.critShort < policy.crit.factor && b.warnShort < policy.warn.factor;
}

/** 3600 → "1h", 300 → "5m": the key an alert shows a window's burn rate under. */
export function windowName(sec: number): string {
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function burnValues(b: BurnRates, target: number | null, policy: BurnPolicy): Record<string, number> {
  const values: Record<string, number> = {};
  for (const w of ['critLong', 'critShort', 'warnLong', 'warnShort'] as const) values[`burn_${windowName(windowSec(policy, w))}`] = round1(b[w]);
  if (target !== null) values.uptime_target = target;
  return values;
}

export function burnDetail(b: BurnRates, severity: Severity | null, target: number | null, policy: BurnPolicy): string {
  const pair = severity === 'warn' ? policy.warn : policy.crit;
  const [long, short] = severity === 'warn' ? [b.warnLong, b.warnShort] : [b.critLong, b.critShort];
  return `Error budget burning ${round1(long)}× over ${windowName(pair.longSec)} and ${round1(short)}× over ` +
    `${windowName(pair.shortSec)} (objective ${target ?? '?'} % over 24 h; alert at ${pair.factor}×).`;
}

/**
 * One configured check's burn rates → effects. A burn-rate incident defers to any other incident of the check that
 * is open or opening (its down streak has started), and to one resolved within the short window; it escalates from
 * warn to crit, and resolves once the short windows cool.
 */
export function decideBurn(input: {
  measure: BurnMeasure;
  intervalSec: number;
  open: readonly KnownIncident[];
  /** Some condition of the check is failing now (an incident of its own may be about to open). */
  failing: boolean;
  /** When the check's last non-burn incident was resolved, if any. */
  lastResolvedAt: Date | null;
  policy: BurnPolicy;
  now: Date;
}): Effect[] {
  const { measure, policy, now } = input;
  const rates = evidencedRates(measure, input.intervalSec, policy);
  const severity = burnSeverity(rates, policy);
  const burning = input.open.find((i) => i.condition === 'budget_burn');
  const values = burnValues(rates, measure.uptimeTarget, policy);
  const detail = burnDetail(rates, severity, measure.uptimeTarget, policy);
  if (burning) {
    if (burnCooled(rates, policy)) return resolveEffects(burning, now, 'agent');
    if (severity === 'crit' && burning.severity !== 'crit') {
      return [
        { type: 'escalate', incident: burning.id, check: measure.check, from: 'budget_burn', to: 'budget_burn', severity: 'crit', at: now, title: titleOf(measure.check, 'budget_burn'), detail, values, burn: rates },
        { type: 'event', incident: burning.id, at: now, kind: 'escalated', message: `escalated from ${burning.severity} to crit`, details: { burn: rates } },
        { type: 'notify', incident: burning.id, kind: 'escalated', seq: burning.escalations + 1, extra: { previousSeverity: burning.severity, previousCondition: 'budget_burn' } },
      ];
    }
    return [];
  }
  if (!severity) return [];
  if (input.failing || input.open.some((i) => i.condition !== 'budget_burn')) return [];
  const shortSec = severity === 'crit' ? policy.crit.shortSec : policy.warn.shortSec;
  if (input.lastResolvedAt && now.getTime() - input.lastResolvedAt.getTime() < shortSec * 1000) return [];
  return [
    {
      type: 'open', ref: -1, check: measure.check, condition: 'budget_burn', severity, since: now, at: now,
      title: titleOf(measure.check, 'budget_burn'), detail, details: { values, burn: rates },
    },
    { type: 'event', incident: -1, at: now, kind: 'opened', message: `${titleOf(measure.check, 'budget_burn')} (${severity})`, details: { values, burn: rates } },
    { type: 'notify', incident: -1, kind: 'opened', seq: 0 },
  ];
}

// ---- timers ----------------------------------------------------------------------------------------------------

/** A reminder for an open, unacknowledged incident last notified one repeat interval ago or earlier. */
export function decideReminder(i: Incident, now: Date, repeatIntervalMs: number): Effect[] {
  if (i.resolvedAt || i.acknowledgedAt || !i.lastNotifiedAt) return [];
  if (now.getTime() - i.lastNotifiedAt.getTime() < repeatIntervalMs) return [];
  const n = i.reminderCount + 1;
  return [
    { type: 'remind', incident: i.id, at: now },
    {
      type: 'event', incident: i.id, at: now, kind: 'reminded',
      message: `reminder ${n}: open for ${formatDuration((now.getTime() - i.openedAt.getTime()) / 1000)}, not acknowledged`,
    },
    { type: 'notify', incident: i.id, kind: 'reminder', seq: n, extra: { reminderNumber: n } },
  ];
}

/** An incident whose opening fell in a silence or maintenance that is now over is announced, unless it is recovering. */
export function decideLateAnnouncement(i: Incident, recovering: boolean, stillSuppressed: boolean): Effect[] {
  if (i.resolvedAt || recovering || stillSuppressed) return [];
  return [{ type: 'notify', incident: i.id, kind: 'opened', seq: 1 }];
}

/** An open incident of a check that has produced no result for its limit is resolved: the check is no longer run. */
export function decideStale(i: Incident, lastResultAt: Date | null, limitMs: number, now: Date): Effect[] {
  if (i.resolvedAt || i.condition === 'budget_burn') return [];
  const last = lastResultAt ?? i.openedAt;
  if (now.getTime() - last.getTime() < limitMs) return [];
  return resolveEffects(knownOf(i), now, 'agent', `no result from ${i.check} for ${formatDuration(limitMs / 1000)}: the check is no longer run`);
}

// ---- intents ---------------------------------------------------------------------------------------------------

/** Why an intent cannot be applied, in words the UI shows. */
export class PolicyRefusal extends Error {}

const refuse = (reason: string): never => {
  throw new PolicyRefusal(reason);
};

export function decideAcknowledge(i: Incident, actor: string, now: Date): Effect[] {
  if (i.resolvedAt) refuse(`incident ${i.id} is already resolved`);
  if (i.acknowledgedAt) refuse(`incident ${i.id} is already acknowledged by ${i.acknowledgedBy ?? 'someone'}`);
  return [
    { type: 'acknowledge', incident: i.id, at: now, actor },
    { type: 'event', incident: i.id, at: now, kind: 'acknowledged', message: `acknowledged by ${actor}`, actor },
  ];
}

export function decideUnacknowledge(i: Incident, actor: string, now: Date): Effect[] {
  if (i.resolvedAt) refuse(`incident ${i.id} is already resolved`);
  if (!i.acknowledgedAt) refuse(`incident ${i.id} is not acknowledged`);
  return [
    { type: 'acknowledge', incident: i.id, at: now, actor, withdraw: true },
    { type: 'event', incident: i.id, at: now, kind: 'unacknowledged', message: `acknowledgement withdrawn by ${actor}`, actor },
  ];
}

/** A resolution by hand; the check's failure streak starts over, so a check that still fails reopens after its threshold. */
export function decideManualResolve(i: Incident, actor: string, now: Date, comment?: string): Effect[] {
  if (i.resolvedAt) refuse(`incident ${i.id} is already resolved`);
  return [...resolveEffects(knownOf(i), now, actor, comment), { type: 'reset_streak', check: i.check, condition: i.condition }];
}

export function decideNote(i: Incident, actor: string, now: Date, text: string, postmortemUrl?: string): Effect[] {
  return [
    { type: 'event', incident: i.id, at: now, kind: 'note', message: text, actor, ...(postmortemUrl ? { details: { postmortem_url: postmortemUrl } } : {}) },
    ...(postmortemUrl ? [{ type: 'note' as const, incident: i.id, at: now, postmortemUrl }] : []),
  ];
}
