// Defaults the agent applies and the plugin shows as placeholders; the SQL fallbacks are written from these.

export const DEFAULTS = {
  /** MONITOR_CHECK_INTERVAL, seconds. */
  checkIntervalSec: 60,
  /** MONITOR_CHECK_TIMEOUT_MS. */
  checkTimeoutMs: 10_000,
  /** Consecutive failures that open an incident (MONITOR_FAILURE_THRESHOLD). */
  failureThreshold: 2,
  /** Consecutive successes that resolve it (MONITOR_SUCCESS_THRESHOLD). */
  successThreshold: 2,
  /** SLO_UPTIME_TARGET, percent. */
  uptimeTarget: 99.5,
  /** SLO_LATENCY_MS: a passing run slower than this is slow. */
  latencyMs: 800,
  /** MAX_LISTENER_LAG_SEC. */
  maxLagSec: 180,
  /** ALERT_LANGUAGE. */
  language: 'en',
  /** ALERT_MIN_SEVERITY. */
  minSeverity: 'warn',
} as const;

/** Ranges the agent accepts for SLO targets, from the environment and from Grafana alike. */
export const TARGET_RANGES = {
  latencyMs: { min: 1, max: 600_000 },
  maxLagSec: { min: 1, max: 604_800 },
} as const;
