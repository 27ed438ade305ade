// The incident engine: load → decide → apply, for a whole batch of stored results at once. The writer hands a
// batch over and does not wait. Streak counters live in memory and are persisted only when their saturated value
// changes (a streak past its threshold decides the same way at any length), so a restarted agent resumes exactly
// where the last one stopped and a healthy check costs no write at all.
//
//   const engine = createIncidentEngine({ store, clock, log, config, channels, configured: () => specs });
//   engine.onResults(results, specs);  // after each batch is written; resolves once it is evaluated
//   await engine.tick();                // every few seconds: reminders, late openings, stale incidents, burn rates
import { runsIn } from '../core/assignment.ts';
import type { CheckResult, Clock, Condition, Logger } from '../core/types.ts';
import type { CheckSpecBase } from '../checks/types.ts';
import type { ChannelDirectory } from '../alerts/directory.ts';
import type { Effect } from './model.ts';
import {
  DEFAULT_BURN_POLICY, decideBurn, decideLateAnnouncement, decideLocationResults, decideReminder, decideResults, decideStale, knownOf,
  policyOf, type BurnMeasure, type BurnPolicy, type KnownIncident, type Policy, type Streak,
} from './policy.ts';
import type { IncidentStore, StreakRow } from './store.ts';

export interface IncidentEngineConfig {
  /** ALERT_REPEAT_INTERVAL in ms: reminders for unacknowledged open incidents. */
  repeatIntervalMs: number;
  /** For results of checks that have no spec (defaults 2 and 2). */
  failureThreshold?: number;
  successThreshold?: number;
  /** Multi-window burn-rate alerts; false turns them off. */
  burnRate?: BurnPolicy | false;
  /** How often tick() evaluates burn rates (default 30 s). */
  burnEvaluateEveryMs?: number;
  /**
   * An open incident of a check that has produced no result for this long (default 1 h, at least three of the
   * check's intervals) is resolved: the check was removed or disabled. Only once this engine has itself run that
   * long, so a restart never closes anything.
   */
  staleAfterMs?: number;
}

export interface IncidentEngine {
  /** Queues a stored batch for evaluation; the promise settles once it (and everything queued before) is evaluated. */
  onResults(results: CheckResult[], specs: readonly CheckSpecBase[] | ReadonlyMap<string, CheckSpecBase>): Promise<void>;
  tick(): Promise<void>;
  /** Results handed over and not evaluated yet. */
  backlog(): number;
  /** Results evaluated since the start. */
  evaluated(): number;
}

const HEARTBEAT = /\.tick$/;
const key = (check: string, condition: string) => `${check}\u0000${condition}`;

export function createIncidentEngine(deps: {
  store: IncidentStore;
  clock: Clock;
  log: Logger;
  config: IncidentEngineConfig;
  channels: ChannelDirectory;
  /** The checks this agent runs now: only they are evaluated for burn rates. */
  configured: () => readonly CheckSpecBase[];
  /** Measures burn rates (slo/burn.ts's evaluateBurnRates over the database). */
  measureBurn?: (now: Date, policy: BurnPolicy) => Promise<BurnMeasure[]>;
  /** Where this agent's results come from (MONITOR_LOCATION); unset: ''. */
  location?: string;
  /** The locations with a live agent (the check assignment's last read); without it, the locations that stored a streak. */
  liveLocations?: () => readonly string[];
}): IncidentEngine {
  const { store, clock, log, config } = deps;
  const burnPolicy = config.burnRate === false || !deps.measureBurn ? undefined : config.burnRate ?? DEFAULT_BURN_POLICY;
  let lastBurnEvaluation = -Infinity;
  const startedAt = clock.monotonic();
  const staleAfterMs = config.staleAfterMs ?? 3_600_000;

  const here = deps.location ?? '';
  /** (check, location) → condition → streak; loaded from the store once, then kept here. */
  let streaks: Map<string, Map<Condition, Streak>> | null = null;
  /** (check, location) → the conditions this location fails toward a multi-location check's quorum. */
  const failingHere = new Map<string, Set<Condition>>();
  let reportedLive = '';
  /** What the store holds for each (check, condition), as saturated counters. */
  const persisted = new Map<string, string>();
  /** Open incidents this engine last saw, to notice one resolved by someone else (its failure streak starts over). */
  const seenOpen = new Set<string>();

  let queue: Array<{ results: CheckResult[]; specs: ReadonlyMap<string, CheckSpecBase>; done: () => void }> = [];
  let queued = 0;
  let evaluatedCount = 0;
  let draining = false;

  const policyFor = (spec: CheckSpecBase | undefined) => policyOf(spec, config);
  const stamp = (s: Streak, failing = false) => `${s.failures}/${s.successes}/${s.failingSince?.getTime() ?? ''}/${failing}`;
  /** The location a check's streaks are kept for: this agent's for a multi-location check, '' for any other. */
  const placeOf = (spec: CheckSpecBase | undefined) => (spec?.locations !== undefined ? here : '');
  const saturate = (s: Streak, p: Policy): Streak =>
    ({ failures: Math.min(s.failures, p.failureThreshold), successes: Math.min(s.successes, p.successThreshold), failingSince: s.failingSince });

  const streakOf = (row: StreakRow): Streak => ({ failures: row.failures, successes: row.successes, failingSince: row.failingSince });

  /** Takes a stored row of a streak kept here (`at`: check and place) into `into`, `failingHere` and `persisted`. */
  function adopt(into: Map<string, Map<Condition, Streak>>, at: string, row: StreakRow) {
    const s = streakOf(row);
    let byCondition = into.get(at);
    if (!byCondition) into.set(at, (byCondition = new Map()));
    byCondition.set(row.condition, s);
    let failing = failingHere.get(at);
    if (!failing) failingHere.set(at, (failing = new Set()));
    if (row.failing) failing.add(row.condition);
    else failing.delete(row.condition);
    persisted.set(key(at, row.condition), stamp(s, row.failing));
  }

  async function loadStreaks() {
    const out = new Map<string, Map<Condition, Streak>>();
    failingHere.clear();
    for (const row of await store.loadStreaks()) {
      const place = row.location ?? '';
      // Other locations' streaks belong to their agents; this engine reads their verdicts fresh for each batch.
      if (place !== '' && place !== here) continue;
      adopt(out, key(row.check, place), row);
    }
    return out;
  }

  /** Evaluates one batch for all its checks: one read of open incidents, and one transaction only when something changes. */
  async function evaluate(results: CheckResult[], specs: ReadonlyMap<string, CheckSpecBase>) {
    const byCheck = new Map<string, CheckResult[]>();
    for (const r of results) {
      if (!r.check || HEARTBEAT.test(r.check)) continue;
      const list = byCheck.get(r.check);
      if (list) list.push(r);
      else byCheck.set(r.check, [r]);
    }
    if (!byCheck.size) return;
    streaks ??= await loadStreaks();
    const open = new Map<string, KnownIncident[]>();
    for (const i of await store.openIncidents([...byCheck.keys()])) {
      const list = open.get(i.check) ?? [];
      list.push(knownOf(i));
      open.set(i.check, list);
    }

    const multi = [...byCheck.keys()].filter((check) => specs.get(check)?.locations !== undefined);
    const elsewhere = multi.length ? await otherLocations(multi) : new Map<string, Map<string, Set<Condition>>>();
    const live = deps.liveLocations ? [...deps.liveLocations()] : null;
    if (multi.length && live && live.join(',') !== reportedLive) {
      reportedLive = live.join(',');
      log.info('locations with a live agent: quorums count these', { locations: live.map((l) => l || '(no location)').join(',') });
    }

    const effects: Effect[] = [];
    const dirty: StreakRow[] = [];
    let ref = 0;
    const nextRef = () => --ref;
    for (const [check, list] of byCheck) {
      if (list.length > 1) list.sort((a, b) => a.ts.getTime() - b.ts.getTime());
      const spec = specs.get(check);
      const policy = policyFor(spec);
      const place = placeOf(spec);
      const at = key(check, place);
      let mine = streaks.get(at);
      if (!mine) streaks.set(at, (mine = new Map()));
      let failing = failingHere.get(at);
      if (!failing) failingHere.set(at, (failing = new Set()));
      const openHere = open.get(check) ?? [];
      // An incident resolved by someone else (from Grafana): a check that still fails reopens after its threshold.
      // (A multi-location check's rows are reset by the resolution itself and adopted in otherLocations: another
      // location's agent resolving at the quorum must not restart this location's streak.)
      for (const c of spec?.locations === undefined ? mine.keys() : []) {
        const k = key(check, c);
        if (seenOpen.has(k) && !openHere.some((i) => i.condition === c)) {
          seenOpen.delete(k);
          mine.set(c, { ...mine.get(c)!, failures: 0, failingSince: null });
          failing.delete(c);
        }
      }
      let decided;
      if (spec?.locations !== undefined) {
        const others = elsewhere.get(check) ?? new Map<string, Set<Condition>>();
        const counted = (live ?? [here, ...others.keys()]).filter((l) => runsIn(spec, l));
        decided = decideLocationResults(check, list, { streaks: mine, failing, open: openHere },
          { location: place, others, live: counted, quorum: spec.quorum }, policy, nextRef);
      } else {
        decided = decideResults(check, list, { streaks: mine, open: openHere }, policy, nextRef);
      }
      effects.push(...decided.effects);
      for (const i of openHere) seenOpen.add(key(check, i.condition));
      for (const e of decided.effects) if (e.type === 'resolve') seenOpen.delete(key(check, e.condition));
      for (const c of decided.touched) {
        const s = saturate(mine.get(c)!, policy);
        const k = key(at, c);
        const now = stamp(s, failing.has(c));
        if (persisted.get(k) === now) continue;
        persisted.set(k, now);
        dirty.push({ check, condition: c, ...s, location: place, failing: failing.has(c) });
      }
    }
    if (effects.length) {
      await store.apply(effects, { channels: await deps.channels.list(), streaks: dirty });
      for (const e of effects) {
        if (e.type !== 'open') continue;
        const where = e.details.locations;
        log.info('incident opened', {
          check: e.check, condition: e.condition, severity: e.severity,
          ...(where ? { failing_locations: where.failing.join(','), live_locations: where.live.join(','), quorum: where.quorum } : {}),
        });
      }
    } else if (dirty.length) {
      await store.saveStreaks(dirty);
    }
  }

  /**
   * The stored streaks of multi-location checks: the other locations' failing conditions (check → location →
   * conditions), and this location's own rows, adopted when someone else changed them (a hand resolution starts
   * every location over).
   */
  async function otherLocations(checks: readonly string[]): Promise<Map<string, Map<string, Set<Condition>>>> {
    const out = new Map<string, Map<string, Set<Condition>>>();
    for (const row of await store.streaksOf(checks)) {
      const place = row.location ?? '';
      if (place === here) {
        const at = key(row.check, place);
        if (persisted.get(key(at, row.condition)) !== stamp(streakOf(row), row.failing)) adopt(streaks!, at, row);
        continue;
      }
      let byPlace = out.get(row.check);
      if (!byPlace) out.set(row.check, (byPlace = new Map()));
      const set = byPlace.get(place) ?? new Set<Condition>();
      if (row.failing) set.add(row.condition);
      byPlace.set(place, set);
    }
    return out;
  }

  function drain() {
    if (draining) return;
    draining = true;
    void (async () => {
      while (queue.length) {
        const taken = queue;
        queue = [];
        const results = taken.length === 1 ? taken[0].results : taken.flatMap((b) => b.results);
        try {
          await evaluate(results, taken[taken.length - 1].specs);
        } catch (err) {
          // The streaks in memory may be ahead of the store now: read them again before the next batch.
          streaks = null;
          persisted.clear();
          log.error('incident evaluation failed', { error: (err as Error).message, results: results.length });
        }
        queued -= results.length;
        evaluatedCount += results.length;
        for (const b of taken) b.done();
      }
      draining = false;
    })();
  }

  function onResults(results: CheckResult[], specs: readonly CheckSpecBase[] | ReadonlyMap<string, CheckSpecBase>): Promise<void> {
    const byName = specs instanceof Map ? specs : new Map((specs as readonly CheckSpecBase[]).map((s) => [s.name, s]));
    return new Promise<void>((done) => {
      queue.push({ results, specs: byName, done });
      queued += results.length;
      drain();
    });
  }

  /** Applies each incident's effects in its own transaction, so one failure does not hold back the others. */
  async function applyEach(groups: Effect[][]) {
    const todo = groups.filter((g) => g.length);
    if (!todo.length) return;
    const channels = await deps.channels.list();
    for (const effects of todo) await store.apply(effects, { channels });
  }

  async function remind(now: Date) {
    await applyEach((await store.remindable(now, config.repeatIntervalMs)).map((i) => decideReminder(i, now, config.repeatIntervalMs)));
  }

  async function announceLate(now: Date) {
    const groups: Effect[][] = [];
    for (const { incident, recovering } of await store.unannounced()) {
      const suppressed = recovering ? null : await store.suppression(incident.check, incident.severity, now);
      groups.push(decideLateAnnouncement(incident, recovering, Boolean(suppressed)));
    }
    await applyEach(groups);
  }

  async function closeStale(now: Date) {
    const open = (await store.openIncidents()).filter((i) => i.condition !== 'budget_burn');
    if (!open.length) return;
    const specs = new Map(deps.configured().map((s) => [s.name, s]));
    const last = await store.lastResultAt([...new Set(open.map((i) => i.check))]);
    await applyEach(open.map((i) => {
      // A check that runs rarely is given three of its intervals.
      const interval = specs.get(i.check)?.intervalSec;
      return decideStale(i, last.get(i.check) ?? null, Math.max(staleAfterMs, interval ? 3 * interval * 1000 : 0), now);
    }));
  }

  async function burnRates(now: Date) {
    if (!burnPolicy || !deps.measureBurn) return;
    const specs = new Map(deps.configured().filter((s) => s.enabled).map((s) => [s.name, s]));
    const measures = (await deps.measureBurn(now, burnPolicy)).filter((m) => specs.has(m.check));
    if (!measures.length) return;
    const checks = measures.map((m) => m.check);
    const open = await store.openIncidents(checks);
    const lastResolved = await store.lastResolvedAt(checks);
    streaks ??= await loadStreaks();
    const groups = measures.map((measure) => {
      const mine = streaks!.get(key(measure.check, placeOf(specs.get(measure.check))));
      return decideBurn({
        measure, intervalSec: specs.get(measure.check)!.intervalSec, policy: burnPolicy, now,
        open: open.filter((i) => i.check === measure.check).map(knownOf),
        failing: [...(mine?.values() ?? [])].some((s) => s.failures > 0),
        lastResolvedAt: lastResolved.get(measure.check) ?? null,
      });
    });
    await applyEach(groups);
    for (const g of groups) for (const e of g) if (e.type === 'open') log.warn('error budget burning', { check: e.check, severity: e.severity });
  }

  async function tick() {
    const now = clock.now();
    const steps: Array<[string, () => Promise<void>]> = [
      ['reminders', () => remind(now)],
      ['late announcements', () => announceLate(now)],
    ];
    if (staleAfterMs > 0 && clock.monotonic() - startedAt >= staleAfterMs) steps.push(['stale incidents', () => closeStale(now)]);
    if (burnPolicy && clock.monotonic() - lastBurnEvaluation >= (config.burnEvaluateEveryMs ?? 30_000)) {
      lastBurnEvaluation = clock.monotonic();
      steps.push(['burn rates', () => burnRates(now)]);
    }
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        log.error(`incident ${what} failed`, { error: (err as Error).message });
      }
    }
  }

  return { onResults, tick, backlog: () => queued, evaluated: () => evaluatedCount };
}
