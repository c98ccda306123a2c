// `hetqn qba --primary P --file F [--malicious X,Y --strategy S[,S2]] [--depth d] [--nodes ...] [--json]`:
// one quantum Byzantine agreement broadcast QBA(P, others, d) over the running network; each
// multicast round is an actor that spawns its sub-rounds. A configuration outside the bounds of
// protocols/tasks/qba-bounds.ts (f < N/2, N - f >= 3, d >= f + 1) is refused, naming the bound. Prints decisions, agreement, validity and
// the key bits every pool spent in every multicast round. The pools of every round are checked first;
// --fill runs the QKD sessions that would fill the short ones.
import type { Command } from 'commander';
import { STRATEGY_NAMES, type StrategyName } from '../../../protocols/tasks/qba-behaviours.ts';
import { qbaDepthFor, qbaRefusal } from '../../../protocols/tasks/qba-bounds.ts';
import { CliError, parseNumber, printResult } from '../output.ts';
import { withExample } from '../help.ts';
import { NODE_NAME, nodeOption, readFileOption, runTaskCommand } from '../task-client.ts';

const list = (name: string, v: string | undefined) => (v ? String(v).split(',').map((s) => s.trim()).filter(Boolean) : []).map((x) => {
  if (!NODE_NAME.test(x)) throw new CliError(`--${name}: "${x}" is not a valid name`);
  return x;
});

export function register(program: Command): void {
  withExample(program.command('qba')
    .description('quantum Byzantine agreement: the primary broadcasts a file, every node decides')
    .option('--primary <node>', 'the primary (signer of the broadcast)')
    .option('--file <path>', 'the value to agree on (e.g. a trade record)')
    .option('--malicious <list>', 'comma-separated malicious nodes')
    .option('--strategy <list>', `strategy of the malicious nodes, one for all or one per node: ${STRATEGY_NAMES.join(', ')}`, 'forge')
    .option('--depth <d>', 'recursion depth d; tolerates d - 1 malicious nodes (default: number of --malicious + 1)')
    .option('--nodes <list>', 'comma-separated nodes taking part (default: the network\'s nodes)')
    .option('--fill', 'when pools are short, run the QKD sessions that fill them first')
    .option('--net <name>', 'network name (default: HETQN_NET, else the only running one)')
    .option('--nats <url>', 'NATS url, or the servers of a cluster comma-separated (default: from the network\'s state file, else NATS_URL)')
    .option('--timeout <s>', 'seconds to wait for the result (with --fill: for the sessions too)', '900')
    .option('--json', 'print one JSON object'),
  ['echo "Alice buys 100 units at 42.0" > trade.txt', 'hetqn qba --primary Alice --file trade.txt --malicious Charlie --strategy forge --fill'])
    .action(async (o) => {
      const malicious = list('malicious', o.malicious);
      const strategies = list('strategy', o.strategy);
      for (const s of strategies) if (!(STRATEGY_NAMES as readonly string[]).includes(s)) throw new CliError(`--strategy: unknown strategy "${s}" (${STRATEGY_NAMES.join(', ')})`);
      if (strategies.length !== 1 && strategies.length !== malicious.length) throw new CliError(`--strategy: give one strategy or one per malicious node (${malicious.length})`);
      const nodes = o.nodes ? list('nodes', o.nodes) : undefined;
      const depth = parseNumber('depth', o.depth, { integer: true, min: 1, max: 4 }) ?? qbaDepthFor(malicious.length);
      // Refuse what the protocol does not guarantee (qba-bounds.ts); without --nodes the server checks.
      const refusal = nodes && qbaRefusal(nodes.length, malicious.length, depth);
      if (refusal) throw new CliError(`--malicious/--depth/--nodes: ${refusal}`, 'refused');
      const r = await runTaskCommand(o, {
        kind: 'qba', primary: nodeOption('primary', o.primary)!, value: readFileOption('file', o.file), nodes, depth,
        malicious: malicious.map((node, i) => ({ node, strategy: (strategies[i] ?? strategies[0]) as StrategyName })),
      });
      printResult(o, r, () => renderQba(r));
      if (!r.agreement || r.validity === false) process.exitCode = 4;
    });
}

export function renderQba(r: Record<string, any>): string {
  const pools = [...new Set(r.rounds.flatMap((x: { keyBitsPerPool: object; authBitsPerPool: object }) => [...Object.keys(x.keyBitsPerPool), ...Object.keys(x.authBitsPerPool)]))].sort() as string[];
  const head = ['round', 'signer', 'd', 'QDS', ...pools];
  const rows = r.rounds.map((x: { id: string; signer: string; depth: number; qdsRuns: number; keyBitsPerPool: Record<string, number>; authBitsPerPool: Record<string, number> }) =>
    [x.id, x.signer, String(x.depth), String(x.qdsRuns), ...pools.map((p) => { const k = x.keyBitsPerPool[p] ?? 0, a = x.authBitsPerPool[p] ?? 0; return k || a ? `${k}${a ? `+${a}a` : ''}` : '-'; })]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row: string[]) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(w[i]!)).join('  ');
  const mal = Object.entries(r.malicious).map(([n, s]) => `${n} (${s})`).join(', ') || 'none';
  return [
    `QBA(${r.primary}, ${r.nodes.filter((n: string) => n !== r.primary).join(', ')}, d = ${r.depth}), n = ${r.n}; malicious: ${mal}`,
    `  decisions: ${Object.entries(r.decisions).map(([n, v]) => `${n} ${v === r.valueDigest ? 'value' : v === r.bottom ? '⊥' : String(v).slice(0, 8)}`).join(', ')}`,
    `  agreement: ${r.agreement ? 'yes' : 'NO'}; validity: ${r.validity === null ? 'n/a (malicious primary)' : r.validity ? 'yes' : 'NO'}; ${r.multicastRounds} multicast rounds, ${r.qdsRuns} QDS runs, ${r.messages} messages`,
    '  key bits per pool per multicast round (task keys + authentication keys "a"):',
    '  ' + fmt(head), ...rows.map((row: string[]) => '  ' + fmt(row)),
    `  total: ${r.keyBitsTotal} task bits + ${r.authBitsTotal} authentication bits; ${r.wallMs} ms`,
  ].join('\n');
}
