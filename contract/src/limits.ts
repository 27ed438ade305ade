// Free-text limits: the form stops at the same length the agent accepts.

export const TEXT_LIMITS = {
  checkName: 100,
  checkPattern: 100,
  channelName: 63,
  chatId: 100,
  resolveComment: 2000,
  note: 5000,
  postmortemUrl: 2000,
  silenceComment: 2000,
  maintenanceReason: 2000,
  sealedSecret: 4000,
} as const;
