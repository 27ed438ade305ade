import React from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { testIds } from '../../components/testIds';
import { FakeBackend } from '../../test/fakeBackend';
import { renderPage } from '../../test/render';
import Slos from './Slos';

// Rows as monitor_slo() returns them through the data source (numerics as numbers).
const sloRows = [
  {
    check_name: 'api.health',
    total: 1440,
    ok_count: 1431,
    uptime_pct: 99.375,
    uptime_target: 99.5,
    p99_ms: 912.4,
    latency_target_ms: 800,
    latency_good_pct: 97.25,
    error_budget_remaining_pct: -25,
    burn_rate: 1.25,
    excluded_sec: 0,
  },
  {
    check_name: 'docs-site',
    total: 288,
    ok_count: 288,
    uptime_pct: 100,
    uptime_target: 99.9,
    p99_ms: 120,
    latency_target_ms: 1500,
    latency_good_pct: 100,
    error_budget_remaining_pct: 100,
    burn_rate: 0,
    excluded_sec: 1800,
  },
];

describe('SLO page', () => {
  let backend: FakeBackend;
  beforeEach(() => {
    backend = new FakeBackend().on(/FROM monitor_slo/, sloRows).install();
  });

  it('shows the figures of the slo report per check, marking missed objectives', async () => {
    renderPage(<Slos />, { role: 'Viewer' });
    const rows = await screen.findAllByTestId(testIds.sloReport.row);
    expect(rows).toHaveLength(2);
    const health = within(rows[0]);
    for (const text of [
      'api.health',
      '99.375 % ✗',
      '99.5 %',
      '912 ms ✗',
      '800 ms',
      '97.3 %',
      '9',
      '-25.0 %',
      '1.25×',
    ]) {
      expect(health.getByText(text)).toBeInTheDocument();
    }
    expect(within(rows[1]).getByText('30m')).toBeInTheDocument();
  });

  it('asks for the chosen window', async () => {
    renderPage(<Slos />);
    await screen.findAllByTestId(testIds.sloReport.row);
    expect(backend.statements.at(-1)).toContain('make_interval(secs => 86400)');
    fireEvent.click(screen.getByLabelText('30 days'));
    await waitFor(() => expect(backend.statements.at(-1)).toContain('make_interval(secs => 2592000)'));
  });
});
