// `hetqn conference --sponsor S --bits L [--participants A,B,...] [--json]`: the sponsor's QRNG key,
// one-time padded with L bits of each of its pools and authenticated, delivered to every participant.
// The pools are checked first; --fill runs the QKD sessions that would fill the short ones.
import type { Command } from 'commander';
import { CliError, parseNumber, printResult } from '../output.ts';
import { withExample } from '../help.ts';
import { NODE_NAME, nodeOption, runTaskCommand } from '../task-client.ts';

export function register(program: Command): void {
  withExample(program.command('conference')
    .description('distribute a conference key from a sponsor to the other nodes (QKD key delivery)')
    .option('--sponsor <node>', 'the node that draws the key')
    .option('--bits <L>', 'key length in bits')
    .option('--participants <list>', 'comma-separated participants (default: every other node)')
    .option('--fill', 'when pools are short, run the QKD sessions that fill them first')
    .option('--net <name>', 'network name (default: HETQN_NET, else the only running one)')
    .option('--nats <url>', 'NATS url, or the servers of a cluster comma-separated (default: from the network\'s state file, else NATS_URL)')
    .option('--timeout <s>', 'seconds to wait for the result (with --fill: for the sessions too)', '600')
    .option('--json', 'print one JSON object'),
  ['hetqn conference --sponsor David --bits 1000 --fill     # a 1000-bit key to Alice, Bob, Charlie, Frank'])
    .action(async (o) => {
      const bits = parseNumber('bits', o.bits, { integer: true, min: 1, max: 10_000_000 });
      if (bits === undefined) throw new CliError('--bits: required');
      const participants = o.participants ? String(o.participants).split(',').map((s) => s.trim()) : undefined;
      participants?.forEach((p) => { if (!NODE_NAME.test(p)) throw new CliError(`--participants: "${p}" is not a node name`); });
      const r = await runTaskCommand(o, { kind: 'conference', sponsor: nodeOption('sponsor', o.sponsor)!, bits, participants });
      printResult(o, r, () => [
        `conference key: ${r.sponsor} drew ${r.bits} bits (sha256 ${String(r.keyDigest).slice(0, 16)}...), one-time padded to ${r.participants.join(', ')}`,
        ...r.results.map((p: { node: string; recovered: boolean; reason?: string; keyBits: number }) => `  ${p.node}: ${p.recovered ? 'recovered K' : `FAILED (${p.reason ?? 'different key'})`}  (${p.keyBits} pool bits)`),
        `  all recovered: ${r.allRecovered ? 'yes' : 'no'}; ${r.wallMs} ms`,
      ].join('\n'));
      if (!r.allRecovered) process.exitCode = 4;
    });
}
