import { FakeBackend } from '../test/fakeBackend';
import { framesToRows, QueryError, runSql, toDate, toJson } from './datasource';

describe('data source queries', () => {
  it('turns a table frame into rows', () => {
    const rows = framesToRows([
      {
        schema: { fields: [{ name: 'id' }, { name: 'ok' }] },
        data: {
          values: [
            [1, 2],
            [true, false],
          ],
        },
      },
    ]);
    expect(rows).toEqual([
      { id: 1, ok: true },
      { id: 2, ok: false },
    ]);
    expect(framesToRows(undefined)).toEqual([]);
  });

  it('sends raw SQL to /api/ds/query for the given uid', async () => {
    const backend = new FakeBackend().on(/SELECT 1/, [{ one: 1 }]).install();
    await expect(runSql('blocktrust-pg', 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    expect(backend.statements).toEqual(['SELECT 1 AS one']);
  });

  it.each([
    ['Data source not found', 404, 'datasource_missing'],
    ['pq: permission denied for table monitor_channels', undefined, 'permission'],
    ['pq: relation "monitor_intents" does not exist', undefined, 'schema_missing'],
    ['pq: syntax error', undefined, 'query'],
  ])('classifies %j', async (message, status, kind) => {
    new FakeBackend().fail(/./, message, status).install();
    const err = await runSql('blocktrust-pg', 'SELECT 1').catch((e) => e);
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).kind).toBe(kind);
  });

  it('reads times and JSON as Grafana returns them', () => {
    expect(toDate(1_700_000_000_000)?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(toDate('2026-01-01T00:00:00Z')?.getTime()).toBe(Date.UTC(2026, 0, 1));
    expect(toDate(null)).toBeNull();
    expect(toJson('{"a":1}')).toEqual({ a: 1 });
    expect(toJson({ a: 1 })).toEqual({ a: 1 });
    expect(toJson('not json')).toBeNull();
  });
});
