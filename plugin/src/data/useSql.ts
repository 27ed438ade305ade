import { useCallback, useEffect, useRef, useState } from 'react';
import { runSql, type Row } from './datasource';
import { useDatasourceUid } from './settings';

export interface SqlState<T> {
  loading: boolean;
  error: Error | null;
  data: T | null;
  reload: () => void;
}

/** Runs `sql` whenever it changes (or on reload) and maps the rows; `sql` null means nothing to run. */
export function useSql<T>(sql: string | null, map: (rows: Row[]) => T): SqlState<T> {
  const uid = useDatasourceUid();
  const [state, setState] = useState<{ loading: boolean; error: Error | null; data: T | null }>({
    loading: sql !== null,
    error: null,
    data: null,
  });
  const [generation, setGeneration] = useState(0);
  const mapRef = useRef(map);
  mapRef.current = map;

  useEffect(() => {
    if (sql === null) {
      return;
    }
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    runSql(uid, sql).then(
      (rows) => live && setState({ loading: false, error: null, data: mapRef.current(rows) }),
      (error: Error) => live && setState({ loading: false, error, data: null })
    );
    return () => {
      live = false;
    };
  }, [uid, sql, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
