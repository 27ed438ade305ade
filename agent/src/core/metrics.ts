// Prometheus exposition of what the agent sees (MONITOR_METRICS_PORT), for teams that scrape rather than
// read Postgres. Served only when asked for, on 127.0.0.1 unless MONITOR_METRICS_HOST says otherwise.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CheckResult } from './types.ts';

export interface AgentMetrics {
  registry: Registry;
  observe(result: CheckResult): void;
  setHeld(held: number, dropped: number): void;
  /** Runs the agent skipped by reason (overlap, late) and its event-loop lag, as totals since the start. */
  setLoad(skipped: Record<string, number>, lagMs: number): void;
  /** Results waiting for incident evaluation, and the running count of results evaluated. */
  setIncidentWork(backlog: number, evaluated: number): void;
  /** The exposition text and its content type. */
  render(): Promise<{ body: string; contentType: string }>;
}

export function createAgentMetrics(): AgentMetrics {
  const registry = new Registry();
  const up = new Gauge({ name: 'blocktrust_check_up', help: '1 when the last run of the check passed, 0 when it failed', labelNames: ['check'], registers: [registry] });
  const slow = new Gauge({ name: 'blocktrust_check_slow', help: '1 when the last run passed but over its latency objective', labelNames: ['check'], registers: [registry] });
  const runs = new Counter({ name: 'blocktrust_check_runs_total', help: 'Check runs by outcome', labelNames: ['check', 'outcome'], registers: [registry] });
  const latency = new Histogram({
    name: 'blocktrust_check_duration_seconds', help: 'How long each check run took', labelNames: ['check'], registers: [registry],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5, 5, 10],
  });
  const lag = new Gauge({ name: 'blocktrust_listener_lag_seconds', help: 'Age of the newest listener heartbeat, as listener.lag last saw it', registers: [registry] });
  const held = new Gauge({ name: 'blocktrust_results_held', help: 'Results held in memory, not yet stored (while the database is unreachable or slower than the checks)', registers: [registry] });
  const dropped = new Gauge({ name: 'blocktrust_results_dropped', help: 'Held results dropped because the hold was full', registers: [registry] });
  const backlog = new Gauge({ name: 'blocktrust_incident_backlog', help: 'Stored results waiting for incident evaluation', registers: [registry] });
  const evaluated = new Counter({ name: 'blocktrust_incident_results_evaluated_total', help: 'Stored results the incident engine has evaluated', registers: [registry] });
  let evaluatedSoFar = 0;
  const skippedRuns = new Counter({ name: 'blocktrust_runs_skipped_total', help: 'Runs not recorded: the previous run was still going (overlap), the agent was too far behind to start on time (late), or it was overloaded (a lagging event loop, or a results writer behind the checks)', labelNames: ['reason'], registers: [registry] });
  const loopLag = new Gauge({ name: 'blocktrust_agent_loop_lag_seconds', help: "The agent's recent event-loop lag: above 0.5 s it is overloaded", registers: [registry] });
  const skippedSoFar: Record<string, number> = {};
  return {
    registry,
    observe(r) {
      up.set({ check: r.check }, r.ok ? 1 : 0);
      slow.set({ check: r.check }, r.details.slow === true ? 1 : 0);
      runs.inc({ check: r.check, outcome: r.ok ? (r.details.slow ? 'slow' : 'ok') : String(r.details.error_class ?? 'failed') });
      latency.observe({ check: r.check }, r.latencyMs / 1000);
      if (r.check === 'listener.lag' && typeof r.details.lag_sec === 'number') lag.set(r.details.lag_sec);
    },
    setHeld(h, d) {
      held.set(h);
      dropped.set(d);
    },
    setLoad(skipped, lagMs) {
      for (const [reason, n] of Object.entries(skipped)) {
        const before = skippedSoFar[reason] ?? 0;
        if (n > before) skippedRuns.inc({ reason }, n - before);
        skippedSoFar[reason] = n;
      }
      loopLag.set(lagMs / 1000);
    },
    setIncidentWork(waiting, total) {
      backlog.set(waiting);
      if (total > evaluatedSoFar) evaluated.inc(total - evaluatedSoFar);
      evaluatedSoFar = total;
    },
    async render() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}

/** The fetch handler serving /metrics and /healthz. */
export function metricsHandler(metrics: AgentMetrics, healthy: () => boolean): (req: Request) => Promise<Response> {
  return async (req) => {
    const { pathname } = new URL(req.url);
    if (pathname === '/metrics') {
      const { body, contentType } = await metrics.render();
      return new Response(body, { headers: { 'content-type': contentType } });
    }
    if (pathname === '/healthz') {
      const ok = healthy();
      return new Response(ok ? 'ok\n' : 'not ready\n', { status: ok ? 200 : 503 });
    }
    return new Response('not found\n', { status: 404 });
  };
}
