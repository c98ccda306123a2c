// `hetqn qkd <A> <B> [--seconds T | --bits k] [--protocol auto|bb84|mdi|bbm92] [--relay auto|<node>]
//  [--key-kind secret|imperfect] [--scale s] [--json]`: ask a running network (`hetqn up`) for QKD
// between two nodes, follow the request on tasks.<requestId> (queued / planned / stages / detections
// / bits on stderr) until the keys land in both pools (the `secret` pools, or with --key-kind
// imperfect the `imperfect` ones: reconciled, verified key before PA), and print the result.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import '../../../actors/server/orchestration.messages.ts';
import '../../../actors/sessions/session.messages.ts';
import { taskSubject } from '../../../actors/sessions/session.messages.ts';
import { CliError, parseNumber, printResult, progress } from '../output.ts';
import { clientHost, resolveTarget } from '../target.ts';
import { spreadOf } from '../../demo/referee.ts';

const fmt = (x: unknown, d = 4) => (typeof x === 'number' ? (Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : Number(x.toFixed(d)).toString()) : String(x));

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
  program.command('qkd')
    .description('run a QKD session between two nodes of a running network and wait until the keys land in both pools')
    .argument('<A>', 'first node')
    .argument('<B>', 'second node')
    .option('--seconds <T>', 'acquisition time at the source rate (1 GHz)')
    .option('--bits <k>', 'run until about k secret bits (T sized by the prediction)')
    .option('--protocol <p>', 'auto | bb84 | mdi | bbm92', 'auto')
    .option('--relay <node>', "auto, a relay node, or two D nodes for a joint BSM ('George+Henry')", 'auto')
    .option('--key-kind <k>', "secret (privacy-amplified, default) | imperfect (error-corrected and verified, no PA: QDS imperfect-key pools)", 'secret')
    .option('--scale <s>', 'run s x T of acquisition (e.g. 0.01 to rehearse a long run)', '1')
    .option('--timeout <s>', 'give up after this many seconds', '3600')
    .option('--net <name>', 'network name (default: the running one)')
    .option('--nats <url>', 'NATS url (default: from .hetqn/<net>.json, NATS_URL, or nats://127.0.0.1:4222)')
    .option('--json', 'print one JSON object (the session result)')
    .action(async (a: string, b: string, o) => {
      const seconds = parseNumber('seconds', o.seconds, { min: 1e-9, max: 1e6 });
      const bits = parseNumber('bits', o.bits, { min: 1, integer: true });
      const scale = parseNumber('scale', o.scale, { min: 1e-9, max: 1 })!;
      const timeoutS = parseNumber('timeout', o.timeout, { min: 1 })!;
      if (seconds !== undefined && bits !== undefined) throw new CliError('--seconds and --bits: give one of them');
      if (!['auto', 'bb84', 'mdi', 'bbm92'].includes(o.protocol)) throw new CliError(`--protocol: expected auto, bb84, mdi or bbm92, got "${o.protocol}"`);
      if (!['secret', 'imperfect'].includes(o.keyKind)) throw new CliError(`--key-kind: expected secret or imperfect, got "${o.keyKind}"`);
      if (!/^(auto|[A-Za-z0-9_-]+(\+[A-Za-z0-9_-]+)?)$/.test(o.relay)) throw new CliError(`--relay: expected auto, a node name or A+B, got "${o.relay}"`);
      if (!/^[A-Za-z0-9_-]+$/.test(a)) throw new CliError(`A: "${a}" is not a node name`);
      if (!/^[A-Za-z0-9_-]+$/.test(b)) throw new CliError(`B: "${b}" is not a node name`);
      if (a === b) throw new CliError('B: must differ from A');
      const { net, natsUrl } = resolveTarget(o);
      const host = await clientHost(net, natsUrl);
      const id = `cli${randomBytes(6).toString('hex')}`;
      const t0 = Date.now();
      const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
      try {
        const outcome = await new Promise<{ ok: boolean; reason?: string; result?: Record<string, any> }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new CliError(`--timeout: no result within ${timeoutS} s (request ${id})`)), timeoutS * 1000);
          host.subscribe(taskSubject(id), (env) => {
            const body = env.body as Record<string, any>;
            if (env.type === 'task.notice') {
              if (body.status === 'queued') progress(`[${elapsed()}] queued: ${body.reason}`);
              else if (body.status === 'planned') progress(`[${elapsed()}] planned ${body.plan.protocol} ${body.plan.sessionId}, relay ${JSON.stringify(body.plan.relay)}, predicted l_sec ${Math.round(body.plan.prediction?.secretBits ?? 0)}`);
              else if (body.status === 'refused') progress(`[${elapsed()}] refused: ${body.reason}`);
            } else if (env.type === 'qkd.progress') {
              const d = body.detail ? ' ' + Object.entries(body.detail).map(([k, v]) => `${k}=${v}`).join(' ') : '';
              progress(`[${elapsed()}] ${body.stage}${d}`);
            } else if (env.type === 'qkd.result') {
              clearTimeout(timer);
              resolve(body as never);
            }
          });
          host.bus.flush().then(() => host.request('platform.request', 'platform.request', {
            id, kind: 'qkd', a, b,
            ...(seconds !== undefined ? { seconds: seconds * scale } : {}),
            ...(bits !== undefined ? { bits } : {}),
            ...(seconds === undefined && bits === undefined ? { seconds: 1 * scale } : {}),
            protocol: o.protocol, relay: o.relay, keyKind: o.keyKind,
          }, { timeoutMs: 10_000 })).catch((e) => { clearTimeout(timer); reject(new CliError(`no platform answered for network "${net}" at ${natsUrl}: ${(e as Error).message}`)); });
        });
        if (!outcome.ok) throw new CliError(`QKD ${a}-${b} failed: ${outcome.reason}`, 3);
        const result = { ...outcome.result!, scale, wallMs: Date.now() - t0 };
        printResult(o, result, () => human(result));
      } finally {
        await host.stop();
      }
    });
}
