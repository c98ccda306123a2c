// `hetqn qkd <A> <B> [--seconds T | --bits k] [--protocol auto|<registry protocol>] [--relay auto|<node>]
//  [--key-kind secret|imperfect] [--scale s] [--force] [--timeout s] [--json]`: ask a running network
// (`hetqn up`) for QKD between two nodes, follow the request on tasks.<requester>.<requestId> (queued / planned /
// stages / detections / bits on stderr) until the keys land in both pools (the `secret` pools, or with
// --key-kind imperfect the `imperfect` ones: reconciled, verified key before PA), and print the result.
// A run whose prediction gives no secret key is refused at once with the shortest run that gives one.
import { randomBytes } from 'node:crypto';
import { isProtocolName, PROTOCOL_NAMES } from '../../../protocols/qkd/registry.ts';
import type { Command } from 'commander';
import { CliError, parseNumber, printResult, timeoutOption } from '../output.ts';
import { withExample } from '../help.ts';
import { clientHost, resolveTarget } from '../target.ts';
import { fmt, qkdRun } from '../qkd-run.ts';
import type { QkdAsk } from '../../qkd-client.ts';
import { spreadOf } from '../../demo/referee.ts';


/** Run-to-run spread of l_sec at this run's parameters (protocols/keyrate/spread.ts). */
function spread(r: Record<string, any>): string {
  try {
    const s = spreadOf(r);
    return s ? `; run-to-run s of l_sec ${fmt(s.lSec.sd, 0)}` : '';
  } catch { return ''; }
}

function human(r: Record<string, any>): string {
  const conv = (r.conversions ?? []).map((c: any) => `${c.node} ${c.from}->${c.to} at ${c.at}`).join(', ') || 'none';
  const relay = r.relay?.kind === 'single' ? r.relay.node : r.relay?.kind === 'joint' ? `joint BSM ${r.relay.nodes.join('+')}` : r.relay?.kind === 'source' ? `source ${r.relay.node}` : 'none';
  const lines = [
    `session ${r.sessionId}: ${r.protocol.toUpperCase()} ${r.a}-${r.b}, relay ${relay}, DoF ${r.dof?.a}/${r.dof?.b} via ${r.dof?.channel}, conversions: ${conv}`,
    `pulses ${fmt(r.pulses)} (${fmt(r.seconds)} s at 1 GHz), params (${r.paramsSource}): ${Object.entries(r.params ?? {}).map(([k, v]) => `${k}=${fmt(v, 4)}`).join(' ')}`,
    `detections ${r.detections}  l_sift ${r.l_sift}  QBER ${fmt(r.qber * 100, 3)} %  disclosed ${r.disclosedBits}  f ${fmt(r.f, 3)}  l_sec ${r.l_sec}`,
    r.keyKind === 'imperfect'
      ? `key ${r.keyId} (${r.keyBits} bits, reconciled and verified, not privacy-amplified) committed in both imperfect pools; nothing in the secret pools`
      : `key ${r.keyId} committed in both secret pools`,
    `predicted (the planner's expectation of this run): l_sift ${fmt(r.prediction?.siftedBits, 0)}  QBER ${fmt((r.prediction?.qber ?? NaN) * 100, 3)} %  l_sec ${fmt(r.prediction?.secretBits, 0)}${spread(r)}`,
    `stage ms: ${Object.entries(r.stageMs ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  return lines.join('\n');
}

export function register(program: Command): void {
  withExample(program.command('qkd')
    .description('run a QKD session between two nodes of a running network and wait until the keys land in both pools')
    .argument('<A>', 'first node')
    .argument('<B>', 'second node')
    .option('--seconds <T>', 'acquisition time at the source rate (1 GHz), up to 1e6 (default 1)')
    .option('--bits <k>', 'run until about k secret bits (T sized by the finite-key prediction)')
    .option('--protocol <p>', ['auto', ...PROTOCOL_NAMES].join(' | '), 'auto')
    .option('--relay <node>', "auto, a relay node, or two D nodes for a joint BSM ('George+Henry')", 'auto')
    .option('--key-kind <k>', "secret (privacy-amplified, default) | imperfect (error-corrected and verified, no PA: QDS imperfect-key pools)", 'secret')
    .option('--scale <s>', 'run s x T of acquisition (e.g. 0.01 to rehearse a long run; implies --force)', '1')
    .option('--force', 'run even when the prediction gives no secret key (refused otherwise, with the shortest run that gives one)')
    .option('--timeout <s>', 'give up waiting after this many seconds', '3600')
    .option('--net <name>', 'network name (default: HETQN_NET, else the only running one)')
    .option('--nats <url>', 'NATS url, or the servers of a cluster comma-separated (default: from the network\'s state file, else NATS_URL)')
    .option('--json', 'print one JSON object (the session result)'),
  ['hetqn qkd David Alice --seconds 1             # BB84, ~2.5 Mbit in 7 s', 'hetqn qkd Alice Bob --bits 20000             # MDI via David, T sized by the prediction (~220 s)', 'hetqn qkd Alice Bob --seconds 60             # refused: no key predicted; says the shortest run that gives one'])
    .action(async (a: string, b: string, o) => {
      const seconds = parseNumber('seconds', o.seconds, { min: 1e-9, max: 1e6 });
      const bits = parseNumber('bits', o.bits, { min: 1, max: 1e12, integer: true });
      const scale = parseNumber('scale', o.scale, { min: 1e-9, max: 1 })!;
      const timeoutMs = timeoutOption(o.timeout);
      if (seconds !== undefined && bits !== undefined) throw new CliError('--seconds: give --seconds or --bits, not both');
      if (o.protocol !== 'auto' && !isProtocolName(o.protocol)) throw new CliError(`--protocol: expected auto or one of ${PROTOCOL_NAMES.join(', ')}, got "${o.protocol}"`);
      if (!['secret', 'imperfect'].includes(o.keyKind)) throw new CliError(`--key-kind: expected secret or imperfect, got "${o.keyKind}"`);
      if (!/^(auto|[A-Za-z0-9_-]+(\+[A-Za-z0-9_-]+)?)$/.test(o.relay)) throw new CliError(`--relay: expected auto, a node name or A+B, got "${o.relay}"`);
      if (!/^[A-Za-z0-9_-]+$/.test(a)) throw new CliError(`A: "${a}" is not a node name`);
      if (!/^[A-Za-z0-9_-]+$/.test(b)) throw new CliError(`B: "${b}" is not a node name`);
      if (a === b) throw new CliError('B: must differ from A');
      const { net, natsUrl } = resolveTarget(o);
      const host = await clientHost(net, natsUrl);
      const ask: QkdAsk = {
        id: `cli${randomBytes(6).toString('hex')}`, a, b,
        ...(bits !== undefined ? { bits } : { seconds: (seconds ?? 1) * scale }),
        protocol: o.protocol, relay: o.relay, keyKind: o.keyKind, force: !!o.force || scale < 1,
      };
      try {
        const result = { ...await qkdRun(host, net, ask, timeoutMs), scale };
        printResult(o, result, () => human(result));
      } finally {
        await host.stop();
      }
    });
}
