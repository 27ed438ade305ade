import React from 'react';
import { Badge, type BadgeColor } from '@grafana/ui';
import type { IncidentState } from '../../types';

const SEVERITY_COLOR: Record<string, BadgeColor> = { crit: 'red', warn: 'orange', info: 'blue' };
const STATE_COLOR: Record<IncidentState, BadgeColor> = { open: 'red', acked: 'orange', resolved: 'green' };
const STATE_TEXT: Record<IncidentState, string> = { open: 'open', acked: 'acknowledged', resolved: 'resolved' };

export const SeverityBadge = ({ severity }: { severity: string }) => (
  <Badge text={severity} color={SEVERITY_COLOR[severity] ?? 'purple'} />
);

export const StateBadge = ({ state }: { state: IncidentState }) => (
  <Badge text={STATE_TEXT[state]} color={STATE_COLOR[state]} />
);
