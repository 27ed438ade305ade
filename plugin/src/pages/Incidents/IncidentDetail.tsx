import type { IncidentDetails } from '@blocktrust-monitor/contract';
import React, { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import {
  Alert,
  Button,
  Card,
  Field,
  FieldSet,
  Input,
  LinkButton,
  LoadingPlaceholder,
  Stack,
  TextArea,
  useStyles2,
} from '@grafana/ui';
import { AgentStatusBanner } from '../../components/AgentStatus/AgentStatus';
import { IntentOutcome } from '../../components/IntentOutcome/IntentOutcome';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { testIds } from '../../components/testIds';
import { useAgentStatus } from '../../data/agent';
import { incidentState, useIncident } from '../../data/incidents';
import { useIntent } from '../../data/intents';
import { useAppSettings } from '../../data/settings';
import { currentUser } from '../../data/user';
import { ROUTES } from '../../constants';
import { formatDuration, formatTime } from '../../utils/format';
import { hasErrors, validateNote } from '../../utils/validation';
import { prefixRoute } from '../../utils/utils.routing';
import { useNow } from '../../utils/useNow';
import { checkDashboardUrl, failingValues, playbookLink, safeHttpUrl, titleOf } from './Incidents.utils';
import { SeverityBadge, StateBadge } from './SeverityBadge';

const APPLIED_TEXT: Record<string, string> = {
  'incident.ack': 'Incident acknowledged',
  'incident.unack': 'Acknowledgement withdrawn',
  'incident.resolve': 'Incident resolved',
  'incident.note': 'Note added',
};

function IncidentDetail() {
  const s = useStyles2(getStyles);
  const id = Number(useParams<{ id: string }>().id);
  const { valid, incident, events } = useIncident(id);
  const agent = useAgentStatus();
  const settings = useAppSettings();
  const user = currentUser();
  const intent = useIntent();
  const now = useNow();
  const [lastKind, setLastKind] = useState('');
  const [resolveComment, setResolveComment] = useState('');
  const [note, setNote] = useState({ text: '', postmortemUrl: '' });
  const [noteTouched, setNoteTouched] = useState(false);
  const noteErrors = validateNote(note.text, note.postmortemUrl);

  const act = async (
    kind: 'incident.ack' | 'incident.unack' | 'incident.resolve' | 'incident.note',
    payload: object
  ) => {
    setLastKind(kind);
    const outcome = await intent.run(kind, { incident_id: id, ...payload });
    if (outcome?.status === 'applied') {
      incident.reload();
      events.reload();
      if (kind === 'incident.note') {
        setNote({ text: '', postmortemUrl: '' });
        setNoteTouched(false);
      }
    }
  };

  const { reload: reloadEvents } = events;
  // The agent keeps adding to the timeline (notifications, escalations) while the page is open.
  useEffect(() => {
    const timer = setInterval(reloadEvents, 30_000);
    return () => clearInterval(timer);
  }, [reloadEvents]);

  const i = incident.data;
  const back = (
    <LinkButton variant="secondary" fill="text" icon="arrow-left" href={prefixRoute(ROUTES.Incidents)}>
      All incidents
    </LinkButton>
  );

  if (!valid) {
    return (
      <PluginPage>
        {back}
        <Alert title="Not an incident number">
          The address must end with the incident’s number, e.g. /incidents/42.
        </Alert>
      </PluginPage>
    );
  }

  return (
    <PluginPage>
      <div data-testid={testIds.incident.container}>
        {back}
        <AgentStatusBanner status={agent.data} />
        {incident.error && <QueryErrorAlert error={incident.error} what={`incident #${id}`} />}
        {incident.loading && !i && <LoadingPlaceholder text="Loading incident…" />}
        {!incident.loading && !incident.error && !i && (
          <Alert severity="info" title={`Incident #${id} does not exist`}>
            It may belong to another database. Go back to the list of incidents.
          </Alert>
        )}
        {i && (
          <>
            <h2 className={s.title}>
              #{i.id} {titleOf(i, user.language)}
            </h2>
            <Stack gap={1} alignItems="center" wrap="wrap">
              <SeverityBadge severity={i.severity} />
              <StateBadge state={incidentState(i)} />
              <span className={s.muted}>
                {i.checkName ?? 'no check'}
                {i.condition ? ` · ${i.condition}` : ''} · opened {formatTime(i.openedAt)} ·{' '}
                {i.resolvedAt
                  ? `resolved ${formatTime(i.resolvedAt)} after ${formatDuration(i.resolvedAt.getTime() - i.openedAt.getTime())}`
                  : `open for ${formatDuration(now - i.openedAt.getTime())}`}
                {i.acknowledgedAt &&
                  ` · acknowledged by ${i.acknowledgedBy ?? 'someone'} ${formatTime(i.acknowledgedAt)}`}
              </span>
            </Stack>
            {i.detail && <p className={s.detail}>{i.detail}</p>}

            <div className={s.links}>
              <Stack gap={2} wrap="wrap" alignItems="center">
                {checkDashboardUrl(i) && (
                  <LinkButton
                    icon="apps"
                    variant="secondary"
                    href={checkDashboardUrl(i)!}
                    data-testid={testIds.incident.dashboardLink}
                  >
                    Open {i.checkName} around this incident
                  </LinkButton>
                )}
                <PlaybookButton href={playbookLink(i, settings.playbookBaseUrl)} />
                {safeHttpUrl(i.details?.postmortem_url) && (
                  <LinkButton
                    icon="file-alt"
                    variant="secondary"
                    href={safeHttpUrl(i.details?.postmortem_url)!}
                    target="_blank"
                  >
                    Post-mortem
                  </LinkButton>
                )}
              </Stack>
            </div>

            <IntentOutcome intent={intent} applied={APPLIED_TEXT[lastKind] ?? 'Done'} />

            {user.canEdit && !i.resolvedAt && (
              <FieldSet label="Respond" className={s.section}>
                <Stack gap={1} wrap="wrap" alignItems="flex-end">
                  {i.acknowledgedAt ? (
                    <Button
                      variant="secondary"
                      disabled={intent.busy}
                      data-testid={testIds.incident.unacknowledge}
                      onClick={() => act('incident.unack', {})}
                    >
                      Withdraw acknowledgement
                    </Button>
                  ) : (
                    <Button
                      icon="check"
                      disabled={intent.busy}
                      data-testid={testIds.incident.acknowledge}
                      onClick={() => act('incident.ack', {})}
                    >
                      Acknowledge
                    </Button>
                  )}
                  <Field label="Resolution comment (optional)" className={s.inline}>
                    <Input
                      width={40}
                      value={resolveComment}
                      data-testid={testIds.incident.resolveComment}
                      onChange={(e) => setResolveComment(e.currentTarget.value)}
                    />
                  </Field>
                  <Button
                    variant="destructive"
                    disabled={intent.busy || resolveComment.length > 1000}
                    data-testid={testIds.incident.resolve}
                    onClick={() =>
                      act('incident.resolve', resolveComment.trim() ? { comment: resolveComment.trim() } : {})
                    }
                  >
                    Resolve
                  </Button>
                </Stack>
              </FieldSet>
            )}
            {!user.canEdit && (
              <p className={s.muted}>You can read this incident; Editors acknowledge, resolve and add notes.</p>
            )}

            <h3 className={s.section}>Failing values</h3>
            <FailingValues details={i.details} />

            <h3 className={s.section}>Timeline</h3>
            {events.error && <QueryErrorAlert error={events.error} what="the timeline" />}
            <ol className={s.timeline} data-testid={testIds.incident.timeline}>
              {(events.data ?? []).map((e) => (
                <li key={e.id}>
                  <Card noMargin>
                    <Card.Heading>
                      {e.kind}
                      {e.channel ? ` · ${e.channel}` : ''}
                    </Card.Heading>
                    <Card.Meta>{[formatTime(e.ts), e.actor].filter(Boolean)}</Card.Meta>
                    {e.message && <Card.Description>{e.message}</Card.Description>}
                    {safeHttpUrl(e.details?.postmortem_url) && (
                      <Card.Actions>
                        <LinkButton
                          size="sm"
                          variant="secondary"
                          fill="text"
                          href={safeHttpUrl(e.details?.postmortem_url)!}
                          target="_blank"
                        >
                          Post-mortem
                        </LinkButton>
                      </Card.Actions>
                    )}
                  </Card>
                </li>
              ))}
              {events.data?.length === 0 && <li className={s.muted}>No events recorded yet.</li>}
            </ol>

            {user.canEdit && (
              <FieldSet label="Add a note" className={s.section}>
                <Field
                  label="Note"
                  invalid={noteTouched && Boolean(noteErrors.text)}
                  error={noteTouched ? noteErrors.text : undefined}
                >
                  <TextArea
                    rows={3}
                    value={note.text}
                    data-testid={testIds.incident.noteText}
                    onChange={(e) => setNote({ ...note, text: e.currentTarget.value })}
                  />
                </Field>
                <Field
                  label="Post-mortem link (optional)"
                  invalid={noteTouched && Boolean(noteErrors.postmortemUrl)}
                  error={noteTouched ? noteErrors.postmortemUrl : undefined}
                >
                  <Input
                    width={60}
                    placeholder="https://wiki.example.com/postmortems/42"
                    value={note.postmortemUrl}
                    data-testid={testIds.incident.notePostmortem}
                    onChange={(e) => setNote({ ...note, postmortemUrl: e.currentTarget.value })}
                  />
                </Field>
                <Button
                  variant="secondary"
                  disabled={intent.busy}
                  data-testid={testIds.incident.noteSubmit}
                  onClick={() => {
                    setNoteTouched(true);
                    if (!hasErrors(noteErrors)) {
                      act('incident.note', {
                        text: note.text.trim(),
                        ...(note.postmortemUrl.trim() ? { postmortem_url: note.postmortemUrl.trim() } : {}),
                      });
                    }
                  }}
                >
                  Add note
                </Button>
              </FieldSet>
            )}
          </>
        )}
      </div>
    </PluginPage>
  );
}

function PlaybookButton({ href }: { href: ReturnType<typeof playbookLink> }) {
  if (!href) {
    return null;
  }
  if (href.href) {
    return (
      <LinkButton
        icon="book"
        variant="secondary"
        href={href.href}
        target="_blank"
        data-testid={testIds.incident.playbookLink}
      >
        Playbook
      </LinkButton>
    );
  }
  return (
    <span data-testid={testIds.incident.playbookLink}>
      Playbook: {href.path} (set the playbook base URL in the app settings to link it)
    </span>
  );
}

function FailingValues({ details }: { details: IncidentDetails | null }) {
  const s = useStyles2(getStyles);
  const values = failingValues(details);
  if (values.length === 0) {
    return <p className={s.muted}>The agent recorded no values for this incident.</p>;
  }
  return (
    <table className={s.values} data-testid={testIds.incident.failingValues}>
      <tbody>
        {values.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default IncidentDetail;

const getStyles = (theme: GrafanaTheme2) => ({
  title: css({ margin: theme.spacing(2, 0, 1) }),
  muted: css({ color: theme.colors.text.secondary }),
  detail: css({ margin: theme.spacing(1, 0, 2) }),
  links: css({ margin: theme.spacing(2, 0) }),
  section: css({ marginTop: theme.spacing(3) }),
  inline: css({ marginBottom: 0 }),
  timeline: css({ listStyle: 'none', padding: 0, display: 'grid', gap: theme.spacing(1) }),
  values: css({
    borderCollapse: 'collapse',
    'th, td': {
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      textAlign: 'left',
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium, width: 160 },
    td: { fontFamily: theme.typography.fontFamilyMonospace, wordBreak: 'break-all' },
  }),
});
