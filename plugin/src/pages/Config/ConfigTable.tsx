import React, { ReactNode } from 'react';
import { LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import type { SqlState } from '../../data/useSql';
import { getStyles } from './Config.styles';

interface Props<T> {
  /** The rows as loaded; errors and the first load are shown here. */
  state: SqlState<T[]>;
  /** What the rows are, for the error and loading messages ("silences"). */
  what: string;
  testId: string;
  /** Column titles; an empty title leaves the column for row actions. */
  columns: string[];
  empty: ReactNode;
  rowKey: (row: T) => React.Key;
  /** The cells of one row. */
  cells: (row: T) => ReactNode;
}

/** The table every config section shows: load error, first load, rows, or a message when there are none. */
export function ConfigTable<T>({ state, what, testId, columns, empty, rowKey, cells }: Props<T>) {
  const s = useStyles2(getStyles);
  return (
    <>
      {state.error && <QueryErrorAlert error={state.error} what={what} />}
      {state.loading && !state.data && <LoadingPlaceholder text={`Loading ${what}…`} />}
      {state.data && (
        <table className={s.table} data-testid={testId}>
          <thead>
            <tr>{columns.map((title, i) => (title ? <th key={i}>{title}</th> : <th key={i} />))}</tr>
          </thead>
          <tbody>
            {state.data.length === 0 && (
              <tr>
                <td colSpan={columns.length} className={s.muted}>
                  {empty}
                </td>
              </tr>
            )}
            {state.data.map((row) => (
              <tr key={rowKey(row)}>{cells(row)}</tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
