import React from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { testIds } from '../../components/testIds';
import { FakeBackend } from '../../test/fakeBackend';
import { agentKey, freshAgent } from '../../test/fixtures/agents';
import { channels, maintenanceWindows, silences, sloTargets } from '../../test/fixtures/config';
import { renderPage } from '../../test/render';
import Config from './Config';

const WEBHOOK = 'https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx';

describe('Config page', () => {
  let backend: FakeBackend;
  let key: Awaited<ReturnType<typeof agentKey>>;

  beforeAll(async () => {
    key = await agentKey();
  });

  beforeEach(() => {
    backend = new FakeBackend()
      .on(/FROM monitor_agents/, [{ ...freshAgent, public_key: JSON.stringify(key.publicJwk) }])
      .on(/FROM monitor_slo_targets/, sloTargets)
      .on(/FROM monitor_channels/, channels)
      .on(/FROM monitor_silences/, silences)
      .on(/FROM monitor_maintenance_windows/, maintenanceWindows)
      .install();
  });

  it('is for Admins only', async () => {
    renderPage(<Config />, { role: 'Editor' });
    expect(await screen.findByText("Only Admins change the monitor's configuration")).toBeInTheDocument();
    expect(backend.statements.some((q) => /monitor_(slo_targets|channels|silences)/.test(q))).toBe(false);
    expect(screen.queryByTestId(testIds.config.container)).not.toBeInTheDocument();
  });

  it('lists what is configured', async () => {
    renderPage(<Config />);
    const slo = await screen.findByTestId(testIds.config.slo.table);
    expect(within(slo).getByText('* (all checks)')).toBeInTheDocument();
    expect(within(slo).getByText('1500 ms')).toBeInTheDocument();
    expect(within(slo).getByText('inherited')).toBeInTheDocument();
    const ch = await screen.findByTestId(testIds.config.channels.table);
    expect(within(ch).getByText('ops-slack')).toBeInTheDocument();
    expect(within(ch).getByText('configured')).toBeInTheDocument();
    expect(within(await screen.findByTestId(testIds.config.silences.table)).getByText('api.*')).toBeInTheDocument();
    expect(
      within(await screen.findByTestId(testIds.config.maintenance.table)).getByText('node upgrade')
    ).toBeInTheDocument();
    expect(backend.statements.some((s) => /secret_sealed/.test(s))).toBe(false);
  });

  it('validates SLO targets before writing, then writes slo.set', async () => {
    renderPage(<Config />);
    await screen.findByTestId(testIds.config.slo.table);
    fireEvent.change(screen.getByTestId(testIds.config.slo.checkName), { target: { value: 'api.health' } });
    fireEvent.change(screen.getByTestId(testIds.config.slo.uptimeTarget), { target: { value: '100' } });
    fireEvent.change(screen.getByTestId(testIds.config.slo.latencyMs), { target: { value: 'fast' } });
    fireEvent.click(screen.getByTestId(testIds.config.slo.submit));
    expect(
      await screen.findByText(/Uptime target \(%\): must be greater than 0 and less than 100/)
    ).toBeInTheDocument();
    expect(screen.getByText(/Latency objective \(ms\): must be a number/)).toBeInTheDocument();
    expect(backend.intents).toHaveLength(0);
    fireEvent.change(screen.getByTestId(testIds.config.slo.uptimeTarget), { target: { value: '99.95' } });
    fireEvent.change(screen.getByTestId(testIds.config.slo.latencyMs), { target: { value: '600' } });
    fireEvent.click(screen.getByTestId(testIds.config.slo.submit));
    expect(await screen.findByText('SLO targets saved for api.health')).toBeInTheDocument();
    expect(backend.intents[0]).toMatchObject({
      author: 'admin-user',
      kind: 'slo.set',
      payload: { check_name: 'api.health', uptime_target: 99.95, latency_ms: 600 },
    });
  });

  it('seals a new Slack webhook to the agent key and never sends it in clear', async () => {
    renderPage(<Config />);
    fireEvent.click(await screen.findByTestId(testIds.config.channels.add));
    fireEvent.change(screen.getByTestId(testIds.config.channels.name), { target: { value: 'alerts' } });
    fireEvent.click(screen.getByTestId(testIds.config.channels.submit));
    expect(await screen.findByText(/Slack webhook URL: required/)).toBeInTheDocument();
    fireEvent.change(screen.getByTestId(testIds.config.channels.secret), { target: { value: WEBHOOK } });
    fireEvent.click(screen.getByTestId(testIds.config.channels.submit));
    expect(await screen.findByText('Channel alerts saved')).toBeInTheDocument();
    const intent = backend.intents[0];
    expect(intent).toMatchObject({
      kind: 'channel.upsert',
      payload: { name: 'alerts', kind: 'slack', enabled: true, min_severity: 'warn', language: 'en', chat_id: null },
    });
    const sealed = intent.payload.secret_sealed as string;
    expect(sealed).toMatch(/^btm1\./);
    expect(await key.open(sealed, 'channel:alerts')).toBe(WEBHOOK);
    expect(backend.statements.join('\n')).not.toContain('hooks.slack.com');
  });

  it('keeps the stored secret when editing other fields, and removes it after a reset', async () => {
    renderPage(<Config />);
    const table = await screen.findByTestId(testIds.config.channels.table);
    fireEvent.click(within(table).getByText('Edit'));
    fireEvent.click(within(screen.getByTestId(testIds.config.channels.form)).getByLabelText('crit'));
    fireEvent.click(screen.getByTestId(testIds.config.channels.submit));
    await screen.findByText('Channel ops-slack saved');
    expect(backend.intents[0].payload).toEqual({
      name: 'ops-slack',
      kind: 'slack',
      enabled: true,
      min_severity: 'crit',
      language: 'en',
      chat_id: null,
    });
    fireEvent.click(within(table).getByText('Edit'));
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    fireEvent.click(screen.getByTestId(testIds.config.channels.submit));
    await waitFor(() => expect(backend.intents).toHaveLength(2));
    expect(backend.intents[1].payload).toMatchObject({ name: 'ops-slack', secret_reset: true });
    expect(backend.intents[1].payload).not.toHaveProperty('secret_sealed');
  });

  it('validates a Telegram channel', async () => {
    renderPage(<Config />);
    fireEvent.click(await screen.findByTestId(testIds.config.channels.add));
    fireEvent.click(screen.getByLabelText('Telegram'));
    fireEvent.change(screen.getByTestId(testIds.config.channels.name), { target: { value: 'oncall' } });
    fireEvent.change(screen.getByTestId(testIds.config.channels.chatId), { target: { value: 'ops room' } });
    fireEvent.change(screen.getByTestId(testIds.config.channels.secret), { target: { value: 'nope' } });
    fireEvent.click(screen.getByTestId(testIds.config.channels.submit));
    expect(await screen.findByText(/Chat id: must be a numeric chat id/)).toBeInTheDocument();
    expect(screen.getByText(/Bot token: the Telegram bot token does not look like a bot token/)).toBeInTheDocument();
    expect(backend.intents).toHaveLength(0);
  });

  it('cannot save a secret without the agent public key and says why', async () => {
    backend.on(/FROM monitor_agents/, [freshAgent]);
    renderPage(<Config />);
    expect(await screen.findByText('Secrets cannot be saved')).toBeInTheDocument();
    expect(screen.getByText(/MONITOR_SECRET_KEY is unset/)).toBeInTheDocument();
    fireEvent.click(await screen.findByTestId(testIds.config.channels.add));
    fireEvent.change(screen.getByTestId(testIds.config.channels.name), { target: { value: 'alerts' } });
    fireEvent.change(screen.getByTestId(testIds.config.channels.secret), { target: { value: WEBHOOK } });
    fireEvent.click(screen.getByTestId(testIds.config.channels.submit));
    expect(await screen.findByText('The secret was not saved')).toBeInTheDocument();
    expect(backend.intents).toHaveLength(0);
  });

  it('creates and ends silences', async () => {
    renderPage(<Config />);
    await screen.findByTestId(testIds.config.silences.table);
    fireEvent.change(screen.getByTestId(testIds.config.silences.duration), { target: { value: 'forever' } });
    fireEvent.click(screen.getByTestId(testIds.config.silences.submit));
    expect(await screen.findByText(/Duration: enter between 1m and 30d/)).toBeInTheDocument();
    fireEvent.change(screen.getByTestId(testIds.config.silences.checkPattern), { target: { value: 'listener.*' } });
    fireEvent.change(screen.getByTestId(testIds.config.silences.duration), { target: { value: '2h' } });
    fireEvent.change(screen.getByTestId(testIds.config.silences.comment), {
      target: { value: 'RPC provider maintenance' },
    });
    const before = Date.now();
    fireEvent.click(screen.getByTestId(testIds.config.silences.submit));
    expect(await screen.findByText(/Alerts for listener.\* silenced until/)).toBeInTheDocument();
    const p = backend.intents[0].payload;
    expect(p).toMatchObject({ check_pattern: 'listener.*', comment: 'RPC provider maintenance' });
    const ends = Date.parse(p.ends_at as string);
    expect(ends).toBeGreaterThanOrEqual(before + 2 * 3_600_000 - 1000);
    expect(ends).toBeLessThanOrEqual(Date.now() + 2 * 3_600_000);
    fireEvent.click(within(screen.getByTestId(testIds.config.silences.table)).getByText('End now'));
    await waitFor(() => expect(backend.intents).toHaveLength(2));
    expect(backend.intents[1]).toMatchObject({ kind: 'silence.expire', payload: { id: 3 } });
  });

  it('plans a weekly maintenance window', async () => {
    renderPage(<Config />);
    await screen.findByTestId(testIds.config.maintenance.table);
    fireEvent.change(screen.getByTestId(testIds.config.maintenance.startsAt), {
      target: { value: '2026-12-06T02:00' },
    });
    fireEvent.change(screen.getByTestId(testIds.config.maintenance.endsAt), { target: { value: '2026-12-06T01:00' } });
    fireEvent.click(screen.getByTestId(testIds.config.maintenance.submit));
    expect(await screen.findByText('Ends: must be after starts_at')).toBeInTheDocument();
    fireEvent.change(screen.getByTestId(testIds.config.maintenance.endsAt), { target: { value: '2026-12-06T04:00' } });
    fireEvent.click(screen.getByLabelText('weekly'));
    fireEvent.change(screen.getByTestId(testIds.config.maintenance.reason), { target: { value: 'DB vacuum' } });
    fireEvent.click(screen.getByTestId(testIds.config.maintenance.submit));
    await waitFor(() => expect(backend.intents).toHaveLength(1));
    expect(backend.intents[0]).toMatchObject({
      kind: 'maintenance.create',
      payload: {
        check_pattern: '*',
        starts_at: '2026-12-06T02:00:00.000Z',
        ends_at: '2026-12-06T04:00:00.000Z',
        recurrence: 'weekly',
        reason: 'DB vacuum',
      },
    });
  });

  it('sends a test alert and shows what each channel answered', async () => {
    backend.intentReply = (i) =>
      i.kind === 'alert.test'
        ? {
            status: 'applied',
            result: {
              channels: [
                { channel: 'ops-slack', ok: true, http_status: 200 },
                { channel: 'oncall', ok: false, http_status: 401, error: 'Unauthorized: check the bot token' },
              ],
            },
          }
        : { status: 'applied' };
    renderPage(<Config />);
    fireEvent.click(await screen.findByTestId(testIds.config.testAlert.send));
    const results = await screen.findByTestId(testIds.config.testAlert.results);
    expect(within(results).getByText('delivered')).toBeInTheDocument();
    expect(within(results).getByText('Unauthorized: check the bot token')).toBeInTheDocument();
    expect(within(results).getByText('HTTP 401')).toBeInTheDocument();
    expect(backend.intents[0]).toMatchObject({ kind: 'alert.test', payload: {} });
  });

  it('explains a missing data source once', async () => {
    backend.fail(/./, 'Data source not found', 404);
    renderPage(<Config />);
    expect(await screen.findByText(/Data source missing: configuration/)).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.config.container)).not.toBeInTheDocument();
  });
});
