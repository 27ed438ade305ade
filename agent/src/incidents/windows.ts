// Maintenance-window arithmetic, the same as monitor_maintenance_ranges() in SQL: recurring windows repeat
// every 24 h (daily) or 168 h (weekly) from their first occurrence while an occurrence starts by recurrence_until.
export interface MaintenanceWindow {
  id: number | string;
  starts_at: Date;
  ends_at: Date;
  recurrence: 'daily' | 'weekly' | null;
  recurrence_until: Date | null;
}

const PERIOD_MS = { daily: 86_400_000, weekly: 604_800_000 } as const;

export function windowCovers(w: MaintenanceWindow, at: Date): boolean {
  const t = at.getTime();
  const start = w.starts_at.getTime();
  const length = w.ends_at.getTime() - start;
  if (t < start) return false;
  if (!w.recurrence) return t < start + length;
  const period = PERIOD_MS[w.recurrence];
  const k = Math.floor((t - start) / period);
  const occurrence = start + k * period;
  if (w.recurrence_until && occurrence > w.recurrence_until.getTime()) return false;
  return t < occurrence + length;
}
