// Expands a panel's SQL the way Grafana does before it reaches Postgres, so that tests run exactly
// what Grafana would run: template variables first (the browser), then $__interval, $__interval_ms,
// $__unixEpochFrom()/$__unixEpochTo() (the SQL data source's global substitutions), then the Postgres
// macros ($__time, $__timeEpoch, $__timeFilter, $__timeFrom, $__timeTo, $__timeGroup, $__timeGroupAlias,
// $__unixEpochFilter, $__unixEpochGroup, $__unixEpochGroupAlias).

export type FillMode = { kind: 'null' } | { kind: 'previous' } | { kind: 'value'; value: number };

export interface TemplateVariable {
  value: string | string[];
  /** Multi-value or include-all variables are quoted as SQL literals, single values are inserted raw. */
  multi?: boolean;
}

export interface MacroContext {
  from: Date;
  to: Date;
  /** The panel interval Grafana computed from the time range and the panel width. */
  intervalMs: number;
  variables?: Record<string, TemplateVariable>;
}

export interface Expanded {
  sql: string;
  /** The fill mode requested by a third $__timeGroup argument, applied by Grafana after the query. */
  fill?: FillMode;
  fillIntervalMs?: number;
}

const quoteLiteral = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/** Go's RFC3339Nano in UTC: no trailing fractional zeros, 'Z' for UTC. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/** Grafana's gtime.FormatInterval: the largest whole unit, truncated. */
export function formatInterval(ms: number): string {
  const units: [string, number][] = [
    ['y', 365 * 86_400_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1],
  ];
  for (const [unit, size] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return '1ms';
}

/** Grafana's gtime.ParseInterval for the units dashboards use: ms, s, m, h, d, w, y (a bare number is seconds). */
export function parseIntervalMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)?$/.exec(text.trim());
  if (!m) throw new Error(`error parsing interval ${text}`);
  const n = Number(m[1]);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[
    (m[2] ?? 's') as 'ms'
  ];
  return n * factor;
}

/** Go's %v for a float64 number of seconds: integers without a decimal point. */
const goFloat = (n: number): string => String(n);

function interpolateVariables(sql: string, ctx: MacroContext): string {
  const builtins: Record<string, string> = {
    __interval: formatInterval(ctx.intervalMs),
    __interval_ms: String(Math.trunc(ctx.intervalMs)),
    __from: String(ctx.from.getTime()),
    __to: String(ctx.to.getTime()),
    __range_s: String(Math.round((ctx.to.getTime() - ctx.from.getTime()) / 1000)),
    __range_ms: String(ctx.to.getTime() - ctx.from.getTime()),
  };
  const render = (name: string, format: string | undefined, whole: string): string => {
    if (name in builtins) return builtins[name];
    const v = ctx.variables?.[name];
    if (!v) return whole;
    if (format === 'raw') return Array.isArray(v.value) ? v.value.join(',') : v.value;
    if (format === 'sqlstring') return (Array.isArray(v.value) ? v.value : [v.value]).map(quoteLiteral).join(',');
    if (Array.isArray(v.value)) return v.value.map(quoteLiteral).join(',');
    return v.multi ? quoteLiteral(v.value) : v.value.replace(/'/g, "''");
  };
  // The same three syntaxes Grafana's template service accepts: $name, [[name]] / [[name:fmt]], ${name} / ${name:fmt}.
  return sql.replace(
    /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g,
    (whole, plain?: string, bracket?: string, bracketFmt?: string, braced?: string, bracedFmt?: string) =>
      render((plain ?? bracket ?? braced)!, bracketFmt ?? bracedFmt, whole),
  );
}

function splitArgs(params: string): string[] {
  const p = params.replace(/\n/g, '').trim();
  if (p === '') return [''];
  return p.split(',').map((a) => a.trim());
}

function parseFill(arg: string): FillMode {
  const a = arg.trim();
  if (a === 'NULL') return { kind: 'null' };
  if (a === 'previous') return { kind: 'previous' };
  const n = Number(a);
  if (a === '' || Number.isNaN(n)) throw new Error(`error parsing fill value ${a}`);
  return { kind: 'value', value: n };
}

/** Expands template variables, global substitutions and Postgres macros, in Grafana's order. */
export function expandGrafanaSql(rawSql: string, ctx: MacroContext): Expanded {
  const fromS = Math.floor(ctx.from.getTime() / 1000);
  const toS = Math.floor(ctx.to.getTime() / 1000);
  let sql = interpolateVariables(rawSql, ctx);
  sql = sql
    .replaceAll('$__interval_ms', String(Math.trunc(ctx.intervalMs)))
    .replaceAll('$__interval', formatInterval(ctx.intervalMs))
    .replaceAll('$__unixEpochFrom()', String(fromS))
    .replaceAll('$__unixEpochTo()', String(toS));

  const out: Expanded = { sql: '' };
  const needColumn = (name: string, args: string[]) => {
    if (args.length === 0 || args[0] === '') throw new Error(`missing time column argument for macro ${name}`);
  };
  const group = (name: string, args: string[], epoch: boolean): string => {
    if (args.length < 2) throw new Error(`macro ${name} needs time column and interval and optional fill value`);
    const ms = parseIntervalMs(args[1].replace(/^'+|'+$/g, ''));
    if (ms <= 0) throw new Error(`interval must be positive, got ${args[1]}`);
    if (args.length === 3) {
      out.fill = parseFill(args[2]);
      out.fillIntervalMs = ms;
    }
    const s = goFloat(ms / 1000);
    return epoch ? `floor((${args[0]})/${s})*${s}` : `floor(extract(epoch from ${args[0]})/${s})*${s}`;
  };
  const evaluate = (name: string, args: string[]): string => {
    switch (name) {
      case '__time':
        needColumn(name, args);
        return `${args[0]} AS "time"`;
      case '__timeEpoch':
        needColumn(name, args);
        return `extract(epoch from ${args[0]}) as "time"`;
      case '__timeFilter':
        needColumn(name, args);
        return `${args[0]} BETWEEN '${rfc3339Nano(ctx.from)}' AND '${rfc3339Nano(ctx.to)}'`;
      case '__timeFrom':
        return `'${rfc3339Nano(ctx.from)}'`;
      case '__timeTo':
        return `'${rfc3339Nano(ctx.to)}'`;
      case '__timeGroup':
        return group(name, args, false);
      case '__timeGroupAlias':
        return `${group('__timeGroup', args, false)} AS "time"`;
      case '__unixEpochFilter':
        needColumn(name, args);
        return `${args[0]} >= ${fromS} AND ${args[0]} <= ${toS}`;
      case '__unixEpochGroup':
        return group(name, args, true);
      case '__unixEpochGroupAlias':
        return `${group('__unixEpochGroup', args, true)} AS "time"`;
      default:
        throw new Error(`unknown macro "${name}"`);
    }
  };
  const macro = /\$([_a-zA-Z0-9]+)\(([^)]*)\)/g;
  let result = '';
  let last = 0;
  for (const m of sql.matchAll(macro)) {
    let name = m[1];
    // Grafana's pre-5.3 compatibility: a $__timeGroup(...) whose first occurrence is followed by ',' gets the alias.
    if (name === '__timeGroup') {
      const at = sql.indexOf(m[0]);
      if (at >= 0 && sql[at + m[0].length] === ',') name = '__timeGroupAlias';
    }
    result += sql.slice(last, m.index) + evaluate(name, splitArgs(m[2]));
    last = m.index! + m[0].length;
  }
  out.sql = result + sql.slice(last);
  return out;
}

export interface FilledSeries {
  /** Series name: the `metric` column's value for long frames, '' for wide ones. */
  metric: string;
  /** One point per interval from the aligned start of the range to its end; missing intervals filled. */
  points: { time: number; values: Record<string, number | null> }[];
}

/**
 * What Grafana does after a time-series query whose $__timeGroup asked for a fill mode: long frames
 * (a `metric` column) become one series per metric, then every series is resampled on the fill interval
 * from the range start aligned down to the interval, up to the range end. Times are epoch seconds.
 */
export function applyFill(rows: Record<string, unknown>[], expanded: Expanded, ctx: MacroContext): FilledSeries[] {
  if (!expanded.fill || !expanded.fillIntervalMs) throw new Error('the query asked for no fill mode');
  const step = expanded.fillIntervalMs / 1000;
  const toSeconds = (v: unknown) => (v instanceof Date ? v.getTime() / 1000 : Number(v));
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) {
    const metric = 'metric' in r ? String(r.metric) : '';
    groups.set(metric, [...(groups.get(metric) ?? []), r]);
  }
  const start = Math.floor(ctx.from.getTime() / 1000 / step) * step;
  const end = ctx.to.getTime() / 1000;
  const valueNames = Object.keys(rows[0] ?? {}).filter((k) => k !== 'time' && k !== 'metric');
  const fill = expanded.fill;
  return [...groups.entries()].map(([metric, series]) => {
    const points: FilledSeries['points'] = [];
    let previous: Record<string, number | null> | undefined;
    for (let t = start; t <= end; t += step) {
      const row = series.find((r) => toSeconds(r.time) >= t && toSeconds(r.time) < t + step);
      let values: Record<string, number | null>;
      if (row) {
        values = Object.fromEntries(valueNames.map((k) => [k, row[k] == null ? null : Number(row[k])]));
      } else if (fill.kind === 'previous' && previous) {
        values = previous;
      } else {
        values = Object.fromEntries(valueNames.map((k) => [k, fill.kind === 'value' ? fill.value : null]));
      }
      points.push({ time: t, values });
      previous = values;
    }
    return { metric, points };
  });
}
