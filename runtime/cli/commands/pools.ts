// `hetqn pools [--node N] [--net NET] [--redis-url U] [--json]`: every key pool's level, fill rate and
// consumption, read from the pools' statistics hashes (never key material; the server's Redis user
// suffices: put its credentials in the URL, redis://user:pass@host:port).
import type { Command } from 'commander';
import { openRedis, redisTlsFromEnv, type RedisClient } from '../../../infra/keypool/connect.ts';
import { redact } from '../../../infra/keypool/target.ts';
import { readBundle, redisAccessOf } from '../../../infra/bundle.ts';
import { listOwners, readOwnerStats, type PoolStats } from '../../../infra/keypool/store.ts';
import { checkId } from '../../../infra/keypool/names.ts';
import { CliError, printResult, timeoutOption, withDeadline } from '../output.ts';
import { withExample } from '../help.ts';
import { loadTopologyOption, resolveNet } from '../target.ts';

const bits = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} Mb` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kb` : `${n} b`);
const rate = (n: number) => (n >= 1e3 ? `${(n / 1e3).toFixed(1)} kb/s` : `${n.toFixed(1)} b/s`);

function render(net: string, pools: PoolStats[]): string {
  if (pools.length === 0) return `network ${net}: no key pools`;
  const head = ['owner', 'peer', 'kind', 'level', 'peer-lane', 'staged', 'in', 'out', 'out-ref', 'fill rate', 'consumption', 'low-water'];
  const rows = pools.map((p) => [p.owner, p.peer, p.kind, bits(p.available), bits(p.availablePeer), bits(p.staged), bits(p.bitsIn), bits(p.bitsOut),
    bits(p.bitsOutRef), rate(p.fillRateBps), rate(p.consumptionRateBps), p.lowWaterBits ? `${bits(p.lowWaterBits)}${p.belowLowWater ? ' LOW' : ''}` : '-']);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [`network ${net}: ${pools.length} key pool(s)`, line(head), ...rows.map(line)].join('\n');
}

export function register(program: Command): void {
  withExample(program.command('pools')
    .description("every key pool's level, fill rate and consumption (statistics only, no key material)")
    .option('--node <name>', 'only the pools this node owns')
    .option('--net <name>', 'network name (default: HETQN_NET, else the only running one)')
    .option('--topology <file>', 'the network\'s topology (default: the running network\'s), to tell unknown nodes')
    .option('--redis-url <url>', 'Redis url, with credentials if ACLs are on (default: from the network\'s state file, else REDIS_URL)')
    .option('--timeout <s>', 'seconds to wait for Redis', '5')
    .option('--json', 'print one JSON object'),
  ['hetqn pools', 'hetqn pools --node David --json | jq \'.pools[] | {peer, kind, available}\''])
    .action(async (o: { node?: string; net?: string; topology?: string; redisUrl?: string; timeout: string; json?: boolean }) => {
      const timeoutMs = timeoutOption(o.timeout);
      const given = o.topology ? loadTopologyOption(o.topology) : undefined;
      const found = resolveNet({ net: o.net, topology: given });
      const net = found.net ?? 'reference';
      try { checkId('net', net); } catch (e) { throw new CliError(`--net: ${(e as Error).message}`); }
      try { if (o.node) checkId('node', o.node); } catch (e) { throw new CliError(`--node: ${(e as Error).message}`); }
      const topology = given ?? (found.state?.topology ? loadTopologyOption(found.state.topology) : undefined);
      if (o.node && topology && !topology.nodes.some((n) => n.name === o.node)) {
        throw new CliError(`--node: unknown node "${o.node}" in network ${net} (its nodes: ${topology.nodes.map((n) => n.name).join(', ')})`, 'unknown-node');
      }
      // The running network's server user (statistics only), from its bundle, unless a URL is given.
      const server = o.redisUrl ? undefined : serverRedis(found.state?.bundles?.server);
      const url = o.redisUrl ?? server?.url ?? found.state?.redisUrl ?? process.env.REDIS_URL;
      if (!url) throw new CliError(`--redis-url: network ${net} is not running on this host and no Redis was given (--redis-url or REDIS_URL)`, 'unavailable');
      // Else the URL's own user (the server's statistics user suffices); TLS trusts HETQN_REDIS_CA.
      const redis = openRedis(url, { ...(server ?? { allowUrlCredentials: true, tls: redisTlsFromEnv() }), redis: { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs } });
      redis.on('error', () => undefined);
      try {
        try { await redis.connect(); } catch (e) { throw new CliError(`--redis-url: cannot reach Redis at ${redact(url)}: ${(e as Error).message}`, 'unavailable'); }
        const pools = await withDeadline(readPools(redis, net, o.node), timeoutMs, `reading pool statistics from ${redact(url)}`);
        if (o.node && pools.length === 0) process.stderr.write(`node ${o.node} has no key pools in network ${net} yet\n`);
        printResult(o, { net, redisUrl: redact(url), node: o.node ?? null, pools }, () => render(net, pools));
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw new CliError(`reading pool statistics from ${redact(url)}: ${(e as Error).message}`, 'unavailable');
      } finally {
        redis.disconnect();
      }
    });
}

/** The server's Redis access from its bundle file on this (admin) host. */
function serverRedis(file: string | undefined) {
  if (!file) return undefined;
  try { return redisAccessOf(readBundle(file)); } catch (e) { throw new CliError(`bundle: ${(e as Error).message}`); }
}

async function readPools(redis: RedisClient, net: string, node: string | undefined): Promise<PoolStats[]> {
  const owners = node ? [node] : await listOwners(redis, net);
  const pools: PoolStats[] = [];
  for (const owner of owners) pools.push(...await readOwnerStats(redis, net, owner));
  return pools;
}
