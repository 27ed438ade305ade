// The words the agent stores and the plugin shows: each list is written here once.

export const SEVERITIES = ['info', 'warn', 'crit'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** The languages alert texts (and incident titles) are written in. */
export const LANGUAGES = ['en', 'pt-BR'] as const;
export type Language = (typeof LANGUAGES)[number];

export const CHANNEL_KINDS = ['slack', 'telegram'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const RECURRENCES = ['daily', 'weekly'] as const;
export type Recurrence = (typeof RECURRENCES)[number];

/** The states of a row of monitor_intents. */
export const INTENT_STATUSES = ['pending', 'applied', 'rejected'] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];
