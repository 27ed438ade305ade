import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alertLinks, conditionLabel, formatAlert, formatDuration, type AlertEvent, type IncidentCondition } from '../../agent/src/alerts/format.ts';

const base: AlertEvent = {
  kind: 'opened', severity: 'crit', check: 'api.health', condition: 'down', incidentId: 42,
  detail: 'GET /api/health answered HTTP 503.', values: { status: 503, latency_ms: 87 },
  since: '2026-03-02T10:00:00Z', at: '2026-03-02T10:12:00Z',
  incidentUrl: 'http://grafana.test/a/blocktrust-monitor-app/incidents/42', playbookUrl: 'https://docs.test/playbooks/down.md',
};

describe('alert texts', () => {
  test('an opening in English: v1.2 first line, then detail, values, since when, links', () => {
    assert.equal(formatAlert(base, 'en'), [
      '🚨 [CRIT] api.health: down',
      'GET /api/health answered HTTP 503.',
      'HTTP status 503 · latency 87 ms',
      'Since 2026-03-02 10:00 UTC (12 m)',
      'Incident: http://grafana.test/a/blocktrust-monitor-app/incidents/42',
      'Playbook: https://docs.test/playbooks/down.md',
    ].join('\n'));
  });

  test('the same in Brazilian Portuguese', () => {
    assert.equal(formatAlert(base, 'pt-BR'), [
      '🚨 [CRIT] api.health: indisponível',
      'GET /api/health answered HTTP 503.',
      'status HTTP 503 · latência 87 ms',
      'Desde 2026-03-02 10:00 UTC (há 12 min)',
      'Incidente: http://grafana.test/a/blocktrust-monitor-app/incidents/42',
      'Playbook: https://docs.test/playbooks/down.md',
    ].join('\n'));
  });

  const cases: Array<[string, Partial<AlertEvent>, 'en' | 'pt-BR', RegExp]> = [
    ['warn slow', { severity: 'warn', condition: 'slow', values: { latency_ms: 1450, latency_target_ms: 800 } }, 'en', /^⚠️ \[WARN\] api\.health: slow \(over its latency objective\)\n[^]*latency 1450 ms · objective 800 ms/],
    ['info', { severity: 'info' }, 'en', /^ℹ️ \[INFO\] /],
    ['escalated', { kind: 'escalated', previousSeverity: 'warn', previousCondition: 'slow' }, 'en', /^🚨 \[CRIT\] api\.health: down \(escalated from WARN slow\)$/m],
    ['escalado', { kind: 'escalated', previousSeverity: 'warn', previousCondition: 'slow' }, 'pt-BR', /^🚨 \[CRIT\] api\.health: indisponível \(escalado de WARN lento\)$/m],
    ['reminder', { kind: 'reminder', reminderNumber: 3 }, 'en', /^🚨 \[CRIT\] api\.health: down \(reminder 3, still open\)$/m],
    ['lembrete', { kind: 'reminder', reminderNumber: 3 }, 'pt-BR', /\(lembrete 3, ainda aberto\)$/m],
    ['resolved', { kind: 'resolved', resolvedAfterSec: 720 }, 'en', /^✅ \[RESOLVED\] api\.health: down, resolved after 12 m\nOpened 2026-03-02 10:00 UTC\nIncident: [^\n]+$/],
    ['resolvido', { kind: 'resolved', resolvedAfterSec: 7500 }, 'pt-BR', /^✅ \[RESOLVIDO\] api\.health: indisponível, resolvido após 2 h 5 min\n/],
    ['resolved by hand', { kind: 'resolved', resolvedAfterSec: 300, resolvedBy: 'maria', comment: 'rolled back' }, 'en', /^✅ \[RESOLVED\] api\.health: down, resolved after 5 m by maria\nrolled back\nOpened /],
    ['resolvido à mão', { kind: 'resolved', resolvedAfterSec: 300, resolvedBy: 'maria' }, 'pt-BR', /^✅ \[RESOLVIDO\] api\.health: indisponível, resolvido após 5 min por maria\nAberto em /],
    ['listener lag values', { check: 'listener.lag', condition: 'listener_stalled', values: { lag_sec: 240, max_lag_sec: 180 } }, 'en', /listener stalled \(no heartbeat\)\n[^]*heartbeat age 240 s · limit 180 s/],
    ['behind head', { check: 'chain.head', condition: 'behind_head', values: { block_number: '100', head_block: 130, lag_blocks: 30 } }, 'pt-BR', /listener atrás do topo da blockchain\n[^]*bloco 100 · topo da blockchain 130 · blocos atrás 30/],
    ['burn', { condition: 'budget_burn', values: { burn_1h: 14.2, burn_5m: 40 } }, 'en', /burning its error budget\n[^]*burn 1 h 14\.2× · burn 5 m 40×/],
    ['test', { kind: 'test', channel: 'ops' }, 'en', /^ℹ️ \[TEST\] Blocktrust Monitor test alert to ops\nIf you can read this, alerts reach this channel\.\n2026-03-02 10:12 UTC$/],
    ['teste', { kind: 'test', channel: 'ops' }, 'pt-BR', /^ℹ️ \[TESTE\] Alerta de teste do Blocktrust Monitor para ops\n/],
    ['no links configured', { incidentUrl: undefined, playbookUrl: undefined }, 'en', /\(12 m\)$/],
  ];
  for (const [name, over, language, expected] of cases) {
    test(`${name} (${language})`, () => assert.match(formatAlert({ ...base, ...over }, language), expected));
  }

  test('every condition has words in both languages', () => {
    const conditions: IncidentCondition[] = ['down', 'slow', 'listener_stalled', 'no_progress', 'rpc_stalled', 'behind_head', 'budget_burn'];
    for (const condition of conditions) {
      const en = conditionLabel(condition, 'en');
      const pt = conditionLabel(condition, 'pt-BR');
      assert.ok(!en.includes('_') && !pt.includes('_'), `${condition}: ${en} / ${pt}`);
      assert.notEqual(en, pt, `${condition} is translated`);
    }
  });

  test('a very long error text is cut so the message stays within Telegram limits', () => {
    const text = formatAlert({ ...base, detail: 'x'.repeat(5000) }, 'en');
    assert.ok(text.length < 1000);
    assert.match(text.split('\n')[1], /^x{599}…$/);
  });

  test('durations and links', () => {
    assert.deepEqual([45, 720, 3600, 7500, 90_000].map((s) => formatDuration(s)), ['45 s', '12 m', '1 h', '2 h 5 m', '1 d 1 h']);
    assert.equal(formatDuration(720, 'pt-BR'), '12 min');
    assert.deepEqual(alertLinks({ grafanaUrl: 'http://g/', playbookBaseUrl: 'https://gh/docs/playbooks/' }, 7, 'no_progress'), {
      incidentUrl: 'http://g/a/blocktrust-monitor-app/incidents/7', playbookUrl: 'https://gh/docs/playbooks/no_progress.md',
    });
  });
});
