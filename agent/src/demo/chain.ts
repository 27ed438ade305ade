// A stand-in for the Polygon JSON-RPC the listener reads: a chain head and the logs of the two Blocktrust
// contracts, made up deterministically from block numbers so that any range can be asked for at any time.

export const DEMO_CONTRACTS = {
  ProofRegistry: '0x2e4c1a7b9d3f5e8a0b2c4d6e8f0a2b4c6d8e0f1a',
  IdentityNFT: '0x1d3b0f6a8e2c4b5d7f9a0c1e3b5d7f9a1c3e5b7d',
} as const;

export interface DemoLog {
  address: string;
  blockNumber: bigint;
  transactionHash: string;
  logIndex: number;
  eventType: string;
}

export interface DemoChain {
  head(): bigint;
  /** The contracts' logs in [from, to] (inclusive), for the given addresses (all when empty). */
  logs(from: bigint, to: bigint, addresses?: string[]): DemoLog[];
  /** Answers one JSON-RPC request body (eth_blockNumber, eth_getLogs, eth_chainId). */
  answer(body: unknown): unknown;
}

export interface DemoChainOptions {
  /** The chain head, e.g. a few blocks ahead of the demo listener. */
  head: () => bigint;
  /** One contract event every this many blocks (default 4). */
  every?: number;
}

const EVENTS: Array<[keyof typeof DEMO_CONTRACTS, string]> = [
  ['ProofRegistry', 'DocumentRegistered'],
  ['ProofRegistry', 'DocumentSigned'],
  ['IdentityNFT', 'IdentityMinted'],
];

/** A transaction hash that depends only on the block number. */
export function demoTxHash(block: bigint): string {
  let x = block * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n;
  let out = '';
  for (let i = 0; i < 4; i += 1) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    out += x.toString(16).padStart(16, '0');
  }
  return `0x${out}`;
}

export function createDemoChain(opts: DemoChainOptions): DemoChain {
  const every = BigInt(opts.every ?? 4);
  const logs = (from: bigint, to: bigint, addresses: string[] = []): DemoLog[] => {
    const wanted = new Set(addresses.map((a) => a.toLowerCase()));
    const out: DemoLog[] = [];
    const first = from % every === 0n ? from : from + (every - (from % every));
    for (let b = first; b <= to && out.length < 10_000; b += every) {
      const [contract, eventType] = EVENTS[Number((b / every) % BigInt(EVENTS.length))];
      const address = DEMO_CONTRACTS[contract];
      if (wanted.size && !wanted.has(address)) continue;
      out.push({ address, blockNumber: b, transactionHash: demoTxHash(b), logIndex: 0, eventType });
    }
    return out;
  };
  const hex = (n: bigint) => `0x${n.toString(16)}`;
  const block = (v: unknown, fallback: bigint): bigint =>
    typeof v === 'string' && /^0x[0-9a-fA-F]+$/.test(v) ? BigInt(v) : v === 'latest' || v === undefined ? fallback : -1n;
  return {
    head: opts.head,
    logs,
    answer(body) {
      const req = (body ?? {}) as { id?: unknown; method?: unknown; params?: unknown };
      const reply = (result: unknown) => ({ jsonrpc: '2.0', id: req.id ?? null, result });
      const error = (code: number, message: string) => ({ jsonrpc: '2.0', id: req.id ?? null, error: { code, message } });
      const head = opts.head();
      if (req.method === 'eth_blockNumber') return reply(hex(head));
      if (req.method === 'eth_chainId') return reply('0x13882');
      if (req.method === 'eth_getLogs') {
        const filter = (Array.isArray(req.params) ? req.params[0] : undefined) as
          | { fromBlock?: unknown; toBlock?: unknown; address?: unknown }
          | undefined;
        const from = block(filter?.fromBlock, head);
        const to = block(filter?.toBlock, head);
        if (from < 0n || to < 0n) return error(-32602, 'invalid block range');
        if (to - from > 5000n) return error(-32005, 'query exceeds the block range limit (5000)');
        const addresses = typeof filter?.address === 'string' ? [filter.address] : Array.isArray(filter?.address) ? (filter.address as string[]) : [];
        return reply(
          logs(from, to < head ? to : head, addresses).map((l) => ({
            address: l.address,
            blockNumber: hex(l.blockNumber),
            transactionHash: l.transactionHash,
            logIndex: hex(BigInt(l.logIndex)),
            topics: [],
            data: '0x',
            removed: false,
          })),
        );
      }
      return error(-32601, `method ${String(req.method)} not supported by the demo chain`);
    },
  };
}
