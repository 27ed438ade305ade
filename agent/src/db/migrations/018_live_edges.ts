import { sql as m006 } from './006_partitions_rollups.ts';
import { sql as m017 } from './017_slo_spans.ts';
import { derive } from './derive.ts';

// The edges of a window that ends now. A report at "now" read up to an hour of raw rows at each end: the hour not
// rolled up yet at its end, the part of its first hour inside the window at its start (about 12,000 rows for 1,000
// checks at one result per 5 minutes, five times that at one a minute).
//
// - The hour so far: each maintenance pass rolls the current hour up to a settled minute into
//   monitor_metrics_partial (one hour-shaped row per check) and records that minute as
//   monitor_rollup_state.partial_until. A window that holds that stretch reads those rows and raw rows only after it.
//   A result that arrives for that stretch after it was rolled (the same rule as a late hour) marks the hour in
//   monitor_rollup_dirty, and reads ignore the partial rows until the next pass rolls the hour so far again.
// - A start edge of more than half an hour inside a rolled-up hour is read as that hour's row less the raw rows of
//   the hour before the window (fewer than 30 minutes of them). Raw pieces carry a sign, as rollup pieces do.
//
// Counts stay exact, and the percentiles are merged from the same histogram buckets as before.

const { between, functionIn, once } = derive('migration 18');

/** Migration 6's monitor_rollup_hours as monitor_rollup_partial_rows, writing the hour so far's table. */
function partialRows(): string {
  return once(functionIn(m006, 'monitor_rollup_hours'), 'FUNCTION monitor_rollup_hours(', 'FUNCTION monitor_rollup_partial_rows(')
    .replaceAll('monitor_metrics_hourly', 'monitor_metrics_partial');
}

/** Migration 6's late-hours trigger, marking also the hour so far when a result arrives for its rolled stretch. */
function markLate(): string {
  const fn = once(functionIn(m006, 'monitor_mark_late_hours'), 'BEGIN\n', `DECLARE
  pu timestamptz := (SELECT s.partial_until FROM monitor_rollup_state s);
BEGIN
`);
  return once(fn, 'WHERE n.ts < monitor_hour_of(now())', 'WHERE (n.ts < monitor_hour_of(now()) OR n.ts < pu)');
}

/** Migration 17's monitor_slo_pieces as monitor_slo_rolled_pieces: the pieces before the edges are looked at. */
function rolledPieces(): string {
  return once(functionIn(m017, 'monitor_slo_pieces'), 'FUNCTION monitor_slo_pieces(', 'FUNCTION monitor_slo_rolled_pieces(');
}

/** Migration 17's monitor_slo_for, reading the hour so far for 'partial' pieces and signed raw pieces. */
function sloForWithEdges(): string {
  let fn = functionIn(m017, 'monitor_slo_for');
  fn = once(fn, '  ), raw AS MATERIALIZED (\n', `    UNION ALL
    SELECT x.check_name COLLATE "C" AS check_name, p.sign, x.total, x.ok_count, x.latency_count, x.hist_buckets, x.hist_counts, x.p99_bucket
    FROM pieces p JOIN monitor_metrics_partial x ON x.bucket = p.lo
    WHERE p.kind = 'partial' AND x.check_name <> '*' AND ($3::text IS NULL OR x.check_name = $3)
  ), raw AS MATERIALIZED (
`);
  fn = once(fn, 'SELECT m.check_name COLLATE "C" AS check_name, m.ok, m.latency_ms, monitor_hist_bucket(m.latency_ms) AS b FROM pieces p',
    'SELECT m.check_name COLLATE "C" AS check_name, p.sign, m.ok, m.latency_ms, monitor_hist_bucket(m.latency_ms) AS b FROM pieces p');
  // Raw counts are signed sums; rows taken off count with the rollup rows taken off.
  const stats = between(fn, '  ), raw_stats AS (', '    GROUP BY r.check_name\n');
  fn = once(fn, stats, `  ), raw_stats AS (
    SELECT r.check_name, sum(r.sign) AS total, COALESCE(sum(r.sign) FILTER (WHERE r.ok), 0) AS ok_count,
           COALESCE(sum(r.sign) FILTER (WHERE r.ok AND r.latency_ms IS NOT NULL), 0) AS timed,
           COALESCE(sum(r.sign) FILTER (WHERE r.ok AND r.latency_ms <= t.latency_target_ms), 0) AS good,
           COALESCE(sum(r.sign) FILTER (WHERE r.ok AND r.latency_ms IS NOT NULL AND r.b > t.good_bucket), 0) AS slow,
           count(*) FILTER (WHERE r.sign < 0 AND r.ok AND r.latency_ms IS NOT NULL) AS taken_off
    FROM raw r JOIN targets t ON t.check_name = r.check_name
    GROUP BY r.check_name
`);
  fn = once(fn, '    FROM raw r WHERE NOT EXISTS (SELECT 1 FROM rolled_stats us', '    FROM raw r WHERE r.sign > 0 AND NOT EXISTS (SELECT 1 FROM rolled_stats us');
  fn = once(fn, 'COALESCE(us.taken_off, 0) AS taken_off', 'COALESCE(us.taken_off, 0) + COALESCE(rs.taken_off, 0) AS taken_off');
  // A raw run taken off is a row of one run whose highest and p99 bucket are its own.
  fn = once(fn, '      FROM candidates k LEFT JOIN rolled n ON n.check_name = k.check_name AND n.sign < 0\n', `      FROM candidates k LEFT JOIN (
        SELECT o.check_name, o.latency_count, o.hist_buckets, o.p99_bucket FROM rolled o WHERE o.sign < 0
        UNION ALL
        SELECT x.check_name, 1, ARRAY[x.b], x.b FROM raw x WHERE x.sign < 0 AND x.ok AND x.latency_ms IS NOT NULL
      ) n ON n.check_name = k.check_name
`);
  fn = once(fn, '      SELECT r.check_name, r.b, 1 FROM raw r JOIN cut ON cut.check_name = r.check_name',
    '      SELECT r.check_name, r.b, r.sign FROM raw r JOIN cut ON cut.check_name = r.check_name');
  return once(fn, '        SELECT r.check_name, r.b, 1 FROM raw r\n', '        SELECT r.check_name, r.b, r.sign FROM raw r\n');
}

/** Migration 17's grants of the span tables to whoever reads the daily rollups, for the hour so far. */
function grants(): string {
  return once(between(m017, 'DO $grants$', '$grants$;'), 'GRANT SELECT ON monitor_metrics_span, monitor_spans_written TO %s',
    'GRANT SELECT ON monitor_metrics_partial TO %s');
}

export const sql = /* sql */ `
-- The current hour rolled up so far: an hourly row per check (and '*') for [its hour, partial_until).
CREATE TABLE IF NOT EXISTS monitor_metrics_partial (
  LIKE monitor_metrics_hourly INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  PRIMARY KEY (check_name, bucket)
);
COMMENT ON TABLE monitor_metrics_partial IS 'the current hour rolled up to monitor_rollup_state.partial_until, read by monitor_slo';
ALTER TABLE monitor_rollup_state ADD COLUMN IF NOT EXISTS partial_until TIMESTAMPTZ;

${grants()}

${partialRows()}

-- Rolls the hour so far up to p_until (a settled minute), replacing what the table held, or empties it when
-- p_until is an hour's start or its hour is already rolled up. A mark on that hour made before this roll is
-- answered by it, so it is taken first; one made while it runs stays, and reads ignore the rows until the next roll.
-- Agents that run maintenance at once take turns, so the rows always match partial_until.
CREATE OR REPLACE FUNCTION monitor_rollup_partial(p_until timestamptz) RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  h timestamptz := monitor_hour_of(p_until - interval '1 microsecond');
  written int := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(727384107, 0);
  DELETE FROM monitor_metrics_partial;
  IF p_until = monitor_hour_of(p_until) OR h < COALESCE((SELECT rolled_until FROM monitor_rollup_state), '-infinity') THEN
    UPDATE monitor_rollup_state SET partial_until = NULL;
    RETURN 0;
  END IF;
  DELETE FROM monitor_rollup_dirty WHERE hour = h;
  written := monitor_rollup_partial_rows(h, p_until);
  UPDATE monitor_rollup_state SET partial_until = p_until;
  RETURN written;
END
$fn$;

${markLate()}

${rolledPieces()}

-- What [p_from, p_to) is read from, as signed pieces: monitor_slo_rolled_pieces, where
-- - a start edge of more than 30 minutes inside a rolled-up hour that received no late results is read from the
--   hour's start, less the raw rows before p_from;
-- - the raw piece that holds the hour so far (rolled up to partial_until, no late results since) reads its rows.
CREATE OR REPLACE FUNCTION monitor_slo_pieces(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (kind text, lo timestamptz, hi timestamptz, sign int)
LANGUAGE plpgsql STABLE ROWS 14 AS $fn$
DECLARE
  a timestamptz := p_from;
  h0 timestamptz := monitor_hour_of(p_from);
  rolled timestamptz;
  pu timestamptz;
  ph timestamptz;
  p record;
BEGIN
  SELECT COALESCE(s.rolled_until, '-infinity'), s.partial_until INTO rolled, pu FROM monitor_rollup_state s;
  IF p_from > h0 AND p_from - h0 < interval '30 minutes' AND h0 + interval '1 hour' <= least(p_to, rolled)
     AND NOT EXISTS (SELECT 1 FROM monitor_rollup_dirty d WHERE d.hour = h0) THEN
    a := h0;
    RETURN QUERY SELECT 'raw', h0, p_from, -1;
  END IF;
  ph := monitor_hour_of(pu - interval '1 microsecond');
  IF pu IS NULL OR ph < rolled OR pu > p_to OR EXISTS (SELECT 1 FROM monitor_rollup_dirty d WHERE d.hour = ph) THEN
    pu := NULL;
  END IF;
  FOR p IN SELECT * FROM monitor_slo_rolled_pieces(a, p_to) LOOP
    IF pu IS NOT NULL AND p.kind = 'raw' AND p.sign > 0 AND p.lo <= ph AND p.hi >= pu THEN
      IF p.lo < ph THEN RETURN QUERY SELECT 'raw', p.lo, ph, 1; END IF;
      RETURN QUERY SELECT 'partial', ph, pu, 1;
      IF pu < p.hi THEN RETURN QUERY SELECT 'raw', pu, p.hi, 1; END IF;
    ELSE
      RETURN QUERY SELECT p.kind, p.lo, p.hi, p.sign;
    END IF;
  END LOOP;
END
$fn$;

${sloForWithEdges()}
${between(m017, 'ALTER FUNCTION monitor_slo_for(', "SET work_mem = '64MB';")}
-- The planner takes the CTEs for far bigger than they are (150,000 rollup rows where a 30-day report has 13,000) and
-- sorts them for merge joins; hash joins on check names answer the same 1.1 to 1.3 times faster.
ALTER FUNCTION monitor_slo_for(timestamptz, timestamptz, text) SET enable_mergejoin = off;
`;
