import { DEFAULTS } from '@blocktrust-monitor/contract';
import type { ChainHeadSpec } from './chain-head.ts';
import type { HttpCheckSpec } from './http.ts';
import type { ListenerEventsSpec } from './listener-events.ts';
import type { ListenerLagSpec } from './listener-lag.ts';
import type { ListenerProgressSpec } from './listener-progress.ts';
import type { CheckDefaults, CheckSpec } from './registry.ts';

export interface BuiltinOptions extends CheckDefaults {
  /** POLYGON_RPC_URL: adds chain.head when set. */
  polygonRpcUrl?: string;
  /** PROOF_REGISTRY_ADDRESS, IDENTITY_NFT_ADDRESS: with an RPC URL, adds listener.events. */
  contracts?: string[];
  /** JWT_USER_EMAIL/JWT_USER_PASS are set: the synthetic checks use the `user` login, as the real API requires. */
  userLogin?: boolean;
}

/** The names users' dashboards and SQL rely on (blocktrust-v1.2). */
export const BUILTIN_CHECK_NAMES = [
  'api.health',
  'api.events',
  'api.contracts',
  'api.stats',
  'listener.lag',
  'listener.progress',
  'synthetic.hash',
  'synthetic.wallet_info',
  'synthetic.nft_status',
] as const;

/** Built-in checks added beside the v1.2 set. */
export const ADDED_CHECK_NAMES = ['api.db'] as const;

/**
 * The Blocktrust checks of the v1.2 guide and api.db, as data; chain.head too when an RPC URL is configured.
 * The synthetic checks call routes that accept only a platform user's token: they use the `user` login when
 * it is configured, else the explorer login as v1.2 did (which the real API answers with 500 {"details":"'user_id'"}).
 */
export function builtinChecks(defaults: BuiltinOptions): CheckSpec[] {
  const base = {
    enabled: true,
    intervalSec: defaults.intervalSec,
    timeoutMs: defaults.timeoutMs ?? DEFAULTS.checkTimeoutMs,
    failureThreshold: defaults.failureThreshold ?? DEFAULTS.failureThreshold,
    successThreshold: defaults.successThreshold ?? DEFAULTS.successThreshold,
    slowSeverity: 'warn' as const,
  };
  const http = (
    s: Omit<HttpCheckSpec, keyof typeof base | 'kind' | 'method' | 'auth'> & Partial<Pick<HttpCheckSpec, 'method' | 'auth'>>,
  ): HttpCheckSpec => ({
    ...base,
    kind: 'http',
    method: 'GET',
    auth: false,
    ...s,
  });
  const synthetic = defaults.userLogin ? ('user' as const) : ('explorer' as const);
  const specs: CheckSpec[] = [
    http({
      name: 'api.health',
      severity: 'crit',
      path: '/api/health',
      expect: { status: [200], json: [{ path: 'status', equals: 'ok' }], shape: { service: 'string', status: 'string' } },
    }),
    // /api/health never touches the database: "API up, database down" needs its own check.
    http({
      name: 'api.db',
      severity: 'crit',
      path: '/api/db/health',
      expect: {
        status: [200],
        json: [{ path: 'success', equals: true }],
        statusMeaning: { '500': "the API cannot reach its database" },
      },
    }),
    http({
      name: 'api.events',
      severity: 'crit',
      path: '/api/explorer/events',
      auth: 'explorer',
      expect: { status: [200], shape: { status: 'string', events: 'array', total: 'number', limit: 'number', offset: 'number' } },
    }),
    http({
      name: 'api.contracts',
      severity: 'warn',
      path: '/api/explorer/contracts',
      expect: {
        status: [200],
        shape: {
          status: 'string',
          contracts: { IdentityNFT: 'any', ProofRegistry: 'any', FailSafe: 'any' },
          network: 'any',
          chainId: 'any',
        },
        statusMeaning: { '404': "the smart contracts are not deployed, or the API's host lacks their deployment file" },
      },
    }),
    http({
      name: 'api.stats',
      severity: 'warn',
      path: '/api/explorer/stats',
      expect: {
        status: [200],
        shape: {
          status: 'string',
          stats: { total_events: 'number', events_24h: 'number', events_by_type: 'object', last_event: 'any' },
        },
      },
    }),
    {
      ...base,
      name: 'listener.lag',
      kind: 'listener_lag',
      severity: 'crit',
      heartbeat: 'listener.tick',
    } satisfies ListenerLagSpec,
    {
      ...base,
      name: 'listener.progress',
      kind: 'listener_progress',
      severity: 'warn',
      stallMinutes: 10,
      heartbeat: 'listener.tick',
    } satisfies ListenerProgressSpec,
    http({
      name: 'synthetic.hash',
      severity: 'crit',
      method: 'POST',
      path: '/api/signature/hash-file',
      auth: synthetic,
      body: { file_content: 'blocktrust-monitor synthetic check {{uuid}} {{now}}' },
      expect: { status: [200], sha256Of: { response: 'file_hash', request: 'file_content' } },
    }),
    http({
      name: 'synthetic.wallet_info',
      severity: 'warn',
      path: '/api/wallet/info',
      auth: synthetic,
      expect: { status: [200, 404], json: [{ path: 'address', exists: true }] },
    }),
    http({
      name: 'synthetic.nft_status',
      severity: 'warn',
      path: '/api/nft/status',
      auth: synthetic,
      expect: { status: [200, 404], json: [{ path: 'has_nft', exists: true }] },
    }),
  ];
  if (defaults.polygonRpcUrl) {
    specs.push({
      ...base,
      name: 'chain.head',
      kind: 'chain_head',
      severity: 'warn',
      maxLagBlocks: 50,
      rpcStallMinutes: 5,
      heartbeat: 'listener.tick',
    } satisfies ChainHeadSpec);
    if (defaults.contracts?.length) {
      specs.push({
        ...base,
        name: 'listener.events',
        kind: 'listener_events',
        severity: 'crit',
        contracts: defaults.contracts,
        blockRange: 500,
        confirmations: 3,
        source: 'auto',
        eventsTable: 'events',
        heartbeat: 'listener.tick',
      } satisfies ListenerEventsSpec);
    }
  }
  return specs;
}
