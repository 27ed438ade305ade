import { failingValues } from './Incidents.utils';

describe('failingValues', () => {
  it('names the failing locations of a check run from several places, with the quorum', () => {
    const rows = failingValues({
      values: { status: 503 },
      error_class: 'http_status',
      locations: { failing: ['frankfurt', 'sao-paulo'], live: ['frankfurt', 'sao-paulo', 'virginia'], quorum: 2 },
    });
    expect(rows).toContainEqual(['Failing locations', '2 of 3: frankfurt, sao-paulo (quorum 2)']);
    expect(rows.map(([label]) => label)).not.toContain('locations');
  });

  it('shows no location row for a check run from one place', () => {
    expect(failingValues({ values: { status: 503 } }).map(([label]) => label)).not.toContain('Failing locations');
  });
});
