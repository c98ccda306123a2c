// `hetqn sign --signer S --receiver A [--third-party B] [--variant secret|imperfect] --file F [--json]`:
// one OTUH-QDS signature across the running network (signer, forwarder = receiver, verifier = third
// party), keys from the pools; the control plane picks the variant and third party when not given.
// The platform checks every pool the signature draws from first; --fill runs the QKD sessions that
// would fill the short ones, then signs.
import type { Command } from 'commander';
import { CliError, parseNumber, printResult } from '../output.ts';
import { withExample } from '../help.ts';
import { nodeOption, readFileOption, runTaskCommand } from '../task-client.ts';

export function register(program: Command): void {
  withExample(program.command('sign')
    .description('sign a file with quantum digital signatures (OTUH-QDS) between three nodes of the running network')
    .option('--signer <node>', 'the signer (e.g. the merchant)')
    .option('--receiver <node>', 'the receiver, who forwards the signature to the third party')
    .option('--third-party <node>', 'the verifier (default: chosen by the control plane)')
    .option('--variant <v>', 'secret | imperfect (default: chosen by the control plane)')
    .option('--file <path>', 'the message to sign')
    .option('--eps <x>', 'forgery probability of the secret-key variant', '1e-10')
    .option('--imperfect-bits <n>', 'string length of the imperfect-key variant', '900')
    .option('--fill', 'when pools are short, run the QKD sessions that fill them first')
    .option('--net <name>', 'network name (default: HETQN_NET, else the only running one)')
    .option('--nats <url>', 'NATS url, or the servers of a cluster comma-separated (default: from the network\'s state file, else NATS_URL)')
    .option('--timeout <s>', 'seconds to wait for the result (with --fill: for the sessions too)', '600')
    .option('--json', 'print one JSON object'),
  ['echo "pay 100 to Alice" > msg.txt', 'hetqn sign --signer David --receiver Alice --file msg.txt          # refused at once if a pool is short: lists the qkd runs', 'hetqn sign --signer David --receiver Alice --file msg.txt --fill   # runs them first'])
    .action(async (o) => {
      const variant = o.variant;
      if (variant !== undefined && variant !== 'secret' && variant !== 'imperfect') throw new CliError(`--variant: expected secret or imperfect, got "${variant}"`);
      const r = await runTaskCommand(o, {
        kind: 'sign', signer: nodeOption('signer', o.signer)!, receiver: nodeOption('receiver', o.receiver)!, thirdParty: nodeOption('third-party', o.thirdParty, false),
        variant, message: readFileOption('file', o.file),
        eps: parseNumber('eps', o.eps, { min: 1e-300, max: 0.5 }), imperfectBits: parseNumber('imperfect-bits', o.imperfectBits, { integer: true, min: 8 }),
      });
      printResult(o, r, () => [
        `QDS (${r.variant} keys, n = ${r.n}): ${r.signer} signed ${r.messageBytes} bytes for ${r.forwarder}, third party ${r.verifier}${r.chosen.variant || r.chosen.thirdParty ? ' (chosen by the control plane)' : ''}`,
        `  ${r.forwarder}: ${r.forwarderAccept ? 'accepts' : `rejects (${r.forwarderReason})`}   ${r.verifier}: ${r.verifierAccept ? 'accepts' : `rejects (${r.verifierReason})`}   verdicts ${r.agree ? 'agree' : 'DISAGREE'}`,
        `  key bits: ${Object.entries(r.keyBitsPerPool).map(([k, v]) => `${k} ${v}`).join(', ')} (${r.variant}); authentication ${Object.entries(r.authBitsPerPool).map(([k, v]) => `${k} ${v}`).join(', ')} (secret)`,
        `  ${r.wallMs} ms`,
      ].join('\n'));
      if (!r.agree) process.exitCode = 4;
    });
}
