import { SPAN_REACH_DAYS } from '@blocktrust-monitor/contract';
import { mergeOfDays, sql as m014 } from './014_weekly_rollups.ts';
import { derive } from './derive.ts';

// Spans: the whole days of an SLO window, merged into one row per check, so that a 30-day report reads one row per
// check where it read four weeks and a few days.
//
// The agent's maintenance pass writes, once today's first hour is rolled up, the span of whole days that each
// named SLO window (7 and 30 days) covers when it ends today: [today - 6 days, today) and [today - 29 days, today).
// monitor_spans_written lists the spans written. monitor_slo_pieces reads a listed span for a run of whole days
// whose ends lie within SPAN_REACH_DAYS of the span's (together, and within a third of the run), plus or minus the
// days where they differ; anything else reads weeks and days as before, so a database without spans answers exactly as before.
// Late results rewrite the spans that hold their hours, in the call that rolls them again.
//
// monitor_slo_for also groups and sorts check names by byte ("C" collation) rather than by the database's locale
// (the same groups, the same output order, and sorts that compare memory instead of calling strcoll), computes raw
// rows' buckets once, and cuts the histograms closer to the p99 (see tighterCut).

const { between, functionIn, once } = derive('migration 17');
/** The text of migration 14 from `head` up to and including the first `end` after it. */
const from14 = (head: string, end: string) => between(m014, head, end);
const functionOf14 = (name: string) => functionIn(m014, name);

/** Migration 14's monitor_slo_pieces, reading a written span for a run of whole days near it. */
function piecesWithSpans(): string {
  const fn = once(functionOf14('monitor_slo_pieces'), '  w1 timestamptz;\n', '  w1 timestamptz;\n  sp tstzrange;\n');
  return once(fn, '    -- The first week that starts at or after the span\'s start', `    -- A written span near a run of whole days: the span, plus or minus the days where they differ.
    IF s.k = 'day' AND s.a = monitor_day_of(s.a) AND s.b = monitor_day_of(s.b) THEN
      SELECT l.span INTO sp FROM monitor_spans_written l
      WHERE lower(l.span) BETWEEN s.a - interval '${SPAN_REACH_DAYS} days' AND s.a + interval '${SPAN_REACH_DAYS} days'
        AND upper(l.span) BETWEEN s.b - interval '${SPAN_REACH_DAYS} days' AND s.b + interval '${SPAN_REACH_DAYS} days'
        AND abs(extract(epoch FROM lower(l.span) - s.a)) + abs(extract(epoch FROM upper(l.span) - s.b))
            <= least(${SPAN_REACH_DAYS} * 86400, extract(epoch FROM s.b - s.a) / 3)
      ORDER BY abs(extract(epoch FROM lower(l.span) - s.a)) + abs(extract(epoch FROM upper(l.span) - s.b)), l.span
      LIMIT 1;
      IF FOUND THEN
        RETURN QUERY SELECT 'span', lower(sp), upper(sp), 1;
        IF s.a < lower(sp) THEN RETURN QUERY SELECT 'day', s.a, lower(sp), 1; END IF;
        IF lower(sp) < s.a THEN RETURN QUERY SELECT 'day', lower(sp), s.a, -1; END IF;
        IF upper(sp) < s.b THEN RETURN QUERY SELECT 'day', upper(sp), s.b, 1; END IF;
        IF s.b < upper(sp) THEN RETURN QUERY SELECT 'day', s.b, upper(sp), -1; END IF;
        CONTINUE;
      END IF;
    END IF;
    -- The first week that starts at or after the span's start`);
}

/** Migration 14's monitor_slo_for, reading span rows for 'span' pieces and grouping check names by byte. */
function sloForWithSpans(): string {
  let fn = functionOf14('monitor_slo_for');
  fn = once(fn, '  ), rolled AS MATERIALIZED (\n', `  ), rolled AS MATERIALIZED (
    SELECT s.check_name, p.sign, s.total, s.ok_count, s.latency_count, s.hist_buckets, s.hist_counts, s.p99_bucket
    FROM pieces p JOIN monitor_metrics_span s ON s.span = tstzrange(p.lo, p.hi)
    WHERE p.kind = 'span' AND ($3::text IS NULL OR s.check_name = $3)
    UNION ALL
`);
  for (const t of ['s', 'd', 'w', 'h']) {
    fn = once(fn, `    SELECT ${t}.check_name, p.sign,`, `    SELECT ${t}.check_name COLLATE "C" AS check_name, p.sign,`);
  }
  fn = once(fn, '    SELECT m.check_name, m.ok, m.latency_ms FROM pieces p', '    SELECT m.check_name COLLATE "C" AS check_name, m.ok, m.latency_ms FROM pieces p');
  fn = once(fn, 'monitor_effective_targets(n.check_name)', 'monitor_effective_targets(n.check_name COLLATE "default")');
  fn = once(fn, '  ORDER BY c.check_name\n', '  ORDER BY c.check_name COLLATE "default"\n');
  return tighterCut(rawOnce(fn));
}

/**
 * Raw rows' histogram bucket computed once per row, and percentile_cont over raw rows only for checks that have no
 * rollup rows in the window (the only ones whose p99 it gives), so that raw rows are grouped by hash, not sorted.
 */
function rawOnce(fn: string): string {
  fn = once(fn, '    SELECT m.check_name COLLATE "C" AS check_name, m.ok, m.latency_ms FROM pieces p',
    '    SELECT m.check_name COLLATE "C" AS check_name, m.ok, m.latency_ms, monitor_hist_bucket(m.latency_ms) AS b FROM pieces p');
  fn = fn.replaceAll('monitor_hist_bucket(r.latency_ms)', 'r.b');
  fn = once(fn, '           percentile_cont(0.99) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.ok) AS p99_exact,\n', '');
  fn = once(fn, '  ), per_check AS (', `  ), raw_exact AS (
    SELECT r.check_name, percentile_cont(0.99) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.ok) AS p99_exact
    FROM raw r WHERE NOT EXISTS (SELECT 1 FROM rolled_stats us WHERE us.check_name = r.check_name)
    GROUP BY r.check_name
  ), per_check AS (`);
  fn = once(fn, 'rs.slow AS raw_slow, rs.p99_exact, rs.good AS raw_good', 'rs.slow AS raw_slow, rx.p99_exact, rs.good AS raw_good');
  return once(fn, '    LEFT JOIN raw_stats rs ON rs.check_name = t.check_name\n',
    '    LEFT JOIN raw_stats rs ON rs.check_name = t.check_name\n    LEFT JOIN raw_exact rx ON rx.check_name = t.check_name\n');
}

/**
 * A cut closer to the p99. Where one row holds most of a check's runs (the span of a 30-day window), the cut is two
 * buckets below that row's p99 bucket. Elsewhere, migration 12's guaranteed cut, which counted every run of the
 * rows taken off (a day's hours before the window, say) as if it lay above the cut and so dragged the cut down to
 * the lowest p99 bucket of any row: a row taken off holds no run above its highest bucket, and at most
 * n - 1 - floor(0.99 (n - 1)) of its n runs above its own p99 bucket; the three highest candidates are checked with
 * that bound, and migration 12's rule answers when none holds enough. Any cut gives the same result (one above the
 * p99 is merged whole); these decide how little is merged. The p99's floor rank is counted as
 * monitor_hist_percentiles counts it (in double precision).
 */
function tighterCut(fn: string): string {
  const need = 'p.timed - floor(0.99::float8 * (p.timed - 1))';
  fn = once(fn, `  ), guaranteed AS (`, `  ), dominant AS MATERIALIZED (
    -- A row that holds 80 % of a check's timed runs, with at most 5 % taken off (the span of a 30- or 7-day window):
    -- the check's p99 lies within a bucket or two of that row's, so the cut is two buckets below it. A cut
    -- above the p99 is caught by \`short\` and the check merged whole, so this only decides how much is merged.
    SELECT r.check_name, p.good_bucket, max(r.p99_bucket) - 2 AS c
    FROM rolled r JOIN per_check p ON p.check_name = r.check_name
    WHERE r.sign > 0 AND r.p99_bucket IS NOT NULL AND p.has_rolled AND p.timed > 0
      AND r.latency_count >= 0.8 * p.timed AND p.taken_off <= 0.05 * p.timed
    GROUP BY r.check_name, p.good_bucket
  ), guaranteed AS (`);
  fn = once(fn, `    FROM rolled r WHERE r.sign > 0 AND r.p99_bucket IS NOT NULL
  ), cut AS (`, `    FROM rolled r WHERE r.sign > 0 AND r.p99_bucket IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dominant d WHERE d.check_name = r.check_name)
  ), cut AS (`);
  fn = once(fn, `  ), cut AS (
    SELECT p.check_name, p.good_bucket,
           COALESCE(max(g.p99_bucket) FILTER (WHERE g.sure >= p.timed - floor(0.99 * (p.timed - 1)) + p.taken_off), min(g.p99_bucket)) AS c
    FROM per_check p JOIN guaranteed g ON g.check_name = p.check_name
    WHERE p.has_rolled AND p.timed > 0
    GROUP BY p.check_name, p.good_bucket
`, `  ), candidates AS (
    -- The three highest p99 buckets that hold enough runs before the rows taken off are counted.
    SELECT x.check_name, x.c, x.sure, x.need FROM (
      SELECT DISTINCT ON (g.check_name, g.p99_bucket) g.check_name, g.p99_bucket AS c, g.sure, ${need} AS need,
             dense_rank() OVER (PARTITION BY g.check_name ORDER BY g.p99_bucket DESC) AS k
      FROM guaranteed g JOIN per_check p ON p.check_name = g.check_name
      WHERE g.sure >= ${need}
    ) x WHERE x.k <= 3
  ), taken AS (
    -- The highest candidate that still holds enough once the runs the rows taken off may hold above it are counted.
    SELECT t.check_name, max(t.c) FILTER (WHERE t.sure - t.off >= t.need) AS c FROM (
      SELECT k.check_name, k.c, k.sure, k.need,
             COALESCE(sum(CASE WHEN n.hist_buckets[cardinality(n.hist_buckets)] < k.c THEN 0
                               WHEN n.p99_bucket < k.c THEN n.latency_count - 1 - floor(0.99 * (n.latency_count - 1))
                               ELSE n.latency_count END), 0) AS off
      FROM candidates k LEFT JOIN rolled n ON n.check_name = k.check_name AND n.sign < 0
      GROUP BY k.check_name, k.c, k.sure, k.need
    ) t GROUP BY t.check_name
  ), cut AS (
    SELECT p.check_name, p.good_bucket,
           COALESCE(max(tk.c), max(g.p99_bucket) FILTER (WHERE g.sure >= ${need} + p.taken_off), min(g.p99_bucket)) AS c
    FROM per_check p JOIN guaranteed g ON g.check_name = p.check_name
    LEFT JOIN taken tk ON tk.check_name = p.check_name
    WHERE p.has_rolled AND p.timed > 0
    GROUP BY p.check_name, p.good_bucket
    UNION ALL
    SELECT d.check_name, d.good_bucket, d.c FROM dominant d
`);
  return once(fn, 'WHERE p.has_rolled AND p.timed > 0 AND floor(0.99 * (p.timed - 1)) < p.timed - COALESCE(tl.n, 0)',
    'WHERE p.has_rolled AND p.timed > 0 AND floor(0.99::float8 * (p.timed - 1)) < p.timed - COALESCE(tl.n, 0)');
}

/** Migration 14's monitor_rollup_late, its loop over written weeks handed to monitor_rollup_rewrite (spans too). */
function lateWithSpans(): string {
  let fn = functionOf14('monitor_rollup_late');
  fn = once(fn, '  w timestamptz;\n  written_until timestamptz := (SELECT weeks_until FROM monitor_rollup_state);\n', '');
  return once(fn, between(fn, '  FOR w IN SELECT DISTINCT monitor_week_of(x)', '  END LOOP;\n'), '  PERFORM monitor_rollup_rewrite(hours);\n');
}

/** Migration 14's monitor_rollup_hour (kept for scripts), rewriting the written week and spans that hold the hour. */
function hourWithSpans(): string {
  const weeks = "  PERFORM monitor_rollup_weeks(h, h + interval '1 hour');\n";
  return once(functionOf14('monitor_rollup_hour'), weeks, `${weeks}  PERFORM monitor_rollup_rewrite(ARRAY[h]);\n`);
}

/** Migration 14's grants of the weekly table to whoever reads the daily one, for the span tables. */
function grants(): string {
  return once(from14('DO $grants$', '$grants$;'), "GRANT SELECT ON monitor_metrics_weekly TO %s", 'GRANT SELECT ON monitor_metrics_span, monitor_spans_written TO %s');
}

export const sql = /* sql */ `
-- A span's row per check: the counts and histogram columns of a weekly row (migration 14), keyed by the span.
CREATE TABLE IF NOT EXISTS monitor_metrics_span (
  span          TSTZRANGE NOT NULL,
  check_name    TEXT NOT NULL,
${from14('  total         INT NOT NULL,', '  p99_bucket    INT,\n')}  PRIMARY KEY (span, check_name)
);
COMMENT ON TABLE monitor_metrics_span IS 'the daily rollups of a span of whole days, merged per check; see monitor_spans_written';

CREATE TABLE IF NOT EXISTS monitor_spans_written (
  span       TSTZRANGE PRIMARY KEY,
  written_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE monitor_spans_written IS 'spans whose monitor_metrics_span rows are complete and read by monitor_slo';

${grants()}

-- (Re)writes the span of whole days [day of p_from, day of p_to) from the rollups (its written weeks, and days
-- outside them), every check in one statement, and lists it. Nothing happens unless those days are all rolled up.
CREATE OR REPLACE FUNCTION monitor_rollup_span(p_from timestamptz, p_to timestamptz) RETURNS int
LANGUAGE sql AS $fn$
  WITH spans AS (
    SELECT tstzrange(monitor_day_of(p_from), monitor_day_of(p_to)) AS w
    FROM monitor_rollup_state s
    WHERE monitor_day_of(p_from) < monitor_day_of(p_to) AND monitor_day_of(p_to) <= monitor_day_of(s.rolled_until)
  ), weeks AS (
    -- The written weeks inside the span (read instead of their days).
    SELECT k.w, monitor_week_of(lower(k.w) + interval '7 days' - interval '1 microsecond') AS w0,
           greatest(least(monitor_week_of(upper(k.w)), s.weeks_until),
                    monitor_week_of(lower(k.w) + interval '7 days' - interval '1 microsecond')) AS w1
    FROM spans k CROSS JOIN monitor_rollup_state s
  ), days AS (
    -- One span per call: its rows are grouped by check name (by byte), and the span is written from \`spans\`.
    SELECT 0 AS w, x.check_name COLLATE "C" AS c, x.total, x.ok_count, x.latency_count, x.hist_buckets, x.hist_counts
    FROM weeks k JOIN monitor_metrics_weekly x ON x.week >= k.w0 AND x.week < k.w1 AND x.check_name <> '*'
    UNION ALL
    SELECT 0, d.check_name COLLATE "C", d.total, d.ok_count, d.latency_count, d.hist_buckets, d.hist_counts
    FROM weeks k JOIN monitor_metrics_daily d ON d.day >= lower(k.w) AND d.day < upper(k.w) AND d.check_name <> '*'
      AND NOT (d.day >= k.w0 AND d.day < k.w1)
${once(mergeOfDays('span', 'monitor_metrics_span'), '    SELECT k.c, k.w, k.total,', '    SELECT k.c, (SELECT w FROM spans), k.total,')}
  ), listed AS (
    INSERT INTO monitor_spans_written AS l (span) SELECT w FROM spans
    ON CONFLICT (span) DO UPDATE SET written_at = now()
    RETURNING 1
  )
  SELECT count(*)::int FROM up
$fn$;
ALTER FUNCTION monitor_rollup_span(timestamptz, timestamptz) SET jit = off;

-- Rewrites every written week and every written span that holds one of p_hours, once their hours and days were
-- rolled again (late results, or an hour rolled again by a script).
CREATE OR REPLACE FUNCTION monitor_rollup_rewrite(p_hours timestamptz[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  w timestamptz;
  sp tstzrange;
  written_until timestamptz := (SELECT weeks_until FROM monitor_rollup_state);
BEGIN
  FOR w IN SELECT DISTINCT monitor_week_of(x) FROM unnest(p_hours) x WHERE monitor_week_of(x) + interval '7 days' <= written_until LOOP
    PERFORM monitor_rollup_weeks(w, w + interval '7 days');
  END LOOP;
  FOR sp IN SELECT l.span FROM monitor_spans_written l WHERE EXISTS (SELECT 1 FROM unnest(p_hours) x WHERE l.span @> x) ORDER BY l.span LOOP
    PERFORM monitor_rollup_span(lower(sp), upper(sp));
  END LOOP;
END
$fn$;

${lateWithSpans()}

${hourWithSpans()}

${piecesWithSpans()}

${sloForWithSpans()}
ALTER FUNCTION monitor_slo_for(timestamptz, timestamptz, text) SET jit = off;
ALTER FUNCTION monitor_slo_for(timestamptz, timestamptz, text) SET work_mem = '64MB';
`;
