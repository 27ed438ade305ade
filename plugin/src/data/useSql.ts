import { useCallback, useEffect, useState } from 'react';
import { runSql, type Row } from './datasource';
import { useDatasourceUid } from './settings';

export interface SqlState<T> {
  loading: boolean;
  error: Error | null;
  data: T | null;
  reload: () => void;
}

interface Settled {
  key: string;
  rows: Row[] | null;
  error: Error | null;
}

/**
 * Runs `sql` whenever it changes (or on reload) and maps the rows; `sql` null means nothing to run.
 * The last result stays visible while the next one loads, so filters do not blank the page.
 */
export function useSql<T>(sql: string | null, map: (rows: Row[]) => T): SqlState<T> {
  const uid = useDatasourceUid();
  const [generation, setGeneration] = useState(0);
  const [settled, setSettled] = useState<Settled | null>(null);
  const key = `${uid}\n${generation}\n${sql}`;

  useEffect(() => {
    if (sql === null) {
      return;
    }
    let live = true;
    runSql(uid, sql).then(
      (rows) => live && setSettled({ key, rows, error: null }),
      (error: Error) => live && setSettled({ key, rows: null, error })
    );
    return () => {
      live = false;
    };
  }, [uid, sql, key]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return {
    loading: sql !== null && settled?.key !== key,
    error: settled?.error ?? null,
    data: settled?.rows ? map(settled.rows) : null,
    reload,
  };
}
