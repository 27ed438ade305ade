import React from 'react';
import { Alert } from '@grafana/ui';
import { QueryError } from '../data/datasource';

const TITLES: Record<string, string> = {
  datasource_missing: 'Data source missing',
  schema_missing: 'Monitor tables missing',
  permission: 'Not allowed by the database',
  query: 'Could not load data',
};

export function QueryErrorAlert({ error, what }: { error: Error; what: string }) {
  const kind = error instanceof QueryError ? error.kind : 'query';
  return (
    <Alert severity="error" title={`${TITLES[kind]}: ${what}`}>
      {error.message}
    </Alert>
  );
}
