// What an incident is about, and how a person reads it in each language: the agent's alerts and incident
// titles and the plugin's incident pages use these words.
import { z } from 'zod';
import type { Language } from './vocabulary.ts';

/**
 * A check opens at most one incident per condition at a time. `down`: the check failed; `slow`: it passed but
 * over its latency objective; the listener checks report the listener-specific conditions.
 */
export const CHECK_CONDITIONS = ['down', 'slow', 'listener_stalled', 'no_progress', 'rpc_stalled', 'behind_head'] as const;
export type Condition = (typeof CHECK_CONDITIONS)[number];

/** Every condition an incident can have: the checks' and the error-budget burn the agent evaluates itself. */
export const INCIDENT_CONDITIONS = [...CHECK_CONDITIONS, 'budget_burn'] as const;
export type IncidentCondition = (typeof INCIDENT_CONDITIONS)[number];
export const conditionSchema = z.enum(INCIDENT_CONDITIONS);

export const CONDITION_LABELS: Record<Language, Record<IncidentCondition, string>> = {
  en: {
    down: 'down',
    slow: 'slow (over its latency objective)',
    listener_stalled: 'listener stalled (no heartbeat)',
    no_progress: 'no new blocks indexed',
    rpc_stalled: 'chain RPC stalled',
    behind_head: 'listener behind the chain head',
    budget_burn: 'burning its error budget',
  },
  'pt-BR': {
    down: 'indisponível',
    slow: 'lento (acima do objetivo de latência)',
    listener_stalled: 'listener parado (sem heartbeat)',
    no_progress: 'nenhum bloco novo indexado',
    rpc_stalled: 'RPC da blockchain parado',
    behind_head: 'listener atrás do topo da blockchain',
    budget_burn: 'consumindo o orçamento de erros',
  },
};

export const isIncidentCondition = (value: string): value is IncidentCondition =>
  (INCIDENT_CONDITIONS as readonly string[]).includes(value);

/** The condition in words; an unknown condition (a newer agent's) reads as its key. */
export function conditionLabel(condition: string, language: Language = 'en'): string {
  const labels = CONDITION_LABELS[language] ?? CONDITION_LABELS.en;
  return isIncidentCondition(condition) ? labels[condition] : condition;
}

/** An incident's title, `api.health: down` / `api.health: indisponível`. */
export const incidentTitle = (check: string, condition: string, language: Language = 'en'): string =>
  `${check}: ${conditionLabel(condition, language)}`;
