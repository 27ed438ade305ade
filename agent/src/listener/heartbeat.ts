import type { Queryable } from '../core/types.ts';

/** The block number as the v1.2 heartbeat stores it: a string of digits. */
export function heartbeatBlockNumber(blockNumber: string | number | bigint): string {
  if (typeof blockNumber === 'bigint' && blockNumber >= 0n) return blockNumber.toString();
  if (typeof blockNumber === 'number' && Number.isSafeInteger(blockNumber) && blockNumber >= 0) return String(blockNumber);
  if (typeof blockNumber === 'string' && /^[0-9]+$/.test(blockNumber.trim())) return blockNumber.trim();
  throw new Error(`block number must be a non-negative whole number, got ${JSON.stringify(String(blockNumber))}`);
}

/**
 * Writes one listener heartbeat, exactly the row of the v1.2 guide:
 * check_name 'listener.tick', ok true, latency_ms 0, details {"note":"heartbeat","block_number":"<n>"}, default ts.
 */
export async function writeHeartbeat(db: Queryable, blockNumber: string | number | bigint): Promise<void> {
  const details = JSON.stringify({ note: 'heartbeat', block_number: heartbeatBlockNumber(blockNumber) });
  await db.query(
    `INSERT INTO monitor_metrics(check_name, ok, latency_ms, details) VALUES ('listener.tick', true, 0, $1::jsonb)`,
    [details],
  );
}
