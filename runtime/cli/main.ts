// The `hetqn` command line. Each command lives in runtime/cli/commands/<name>.ts and exports
// `register(program)`; add one import + one line below per command. Errors follow one convention
// (output.ts): exit 2 bad input, 3 refused/unavailable, 4 failed run, 5 timeout, 1 internal; with
// --json the error is the one object on stdout.
import { Command, CommanderError } from 'commander';
import { CliError, errorObject } from './output.ts';
import { examples, withExample } from './help.ts';

/** Worked examples of commands whose modules define none themselves (and of command groups). */
const PARENT_EXAMPLES: Record<string, string[]> = {
  inspect: ['hetqn inspect                                # live actor table; Stately inspector on ws://127.0.0.1:8080', 'hetqn inspect --duration 5 --port 0 --json', 'hetqn inspect --export machines/'],
  keyrate: ['hetqn keyrate bb84 --length-km 35.3 --seconds 2 --optimise', 'hetqn keyrate sweep --protocols bb84,mdi --to-km 200'],
  params: ['hetqn params calibrate --out /tmp/calibration.json'],
};

type Register = (program: Command) => void;
const commandModules: Array<() => Promise<{ register: Register }>> = [
  // one line per command module, e.g. () => import('./commands/keyrate.ts'),
  () => import('./commands/up.ts'),
  () => import('./commands/down.ts'),
  () => import('./commands/status.ts'),
  () => import('./commands/node.ts'),
  () => import('./commands/server.ts'),
  () => import('./commands/creds.ts'),
  () => import('./commands/inspect.ts'),
  () => import('./commands/demo.ts'),
  () => import('./commands/keyrate.ts'),
  () => import('./commands/params.ts'),
  () => import('./commands/pools.ts'),
  () => import('./commands/sign.ts'),
  () => import('./commands/qba.ts'),
  () => import('./commands/conference.ts'),
  () => import('./commands/qkd.ts'),
  () => import('./commands/topology.ts'),
  () => import('./commands/scenario.ts'),
];

const EXIT_TEXT = `
Exit codes (every command): 0 ok; 1 internal error (HETQN_DEBUG=1 for the stack); 2 bad input or
unknown node; 3 refused or unavailable (short pools, no key predicted, no running network, node not
attached or down); 4 the run failed; 5 timeout. With --json an error is one object on stdout:
{"error": {"code", "message", "field"}}. Every --timeout is in seconds.
The running network is found in the per-user state directory ($HETQN_STATE_DIR, else
$XDG_STATE_HOME/hetqn, else ~/.local/state/hetqn); pick one with --net or HETQN_NET.`;

/** The usage error's option or argument, from commander's message. */
function commanderField(e: CommanderError): string | undefined {
  return /'(?:--)?([A-Za-z][A-Za-z0-9-]*)/.exec(e.message)?.[1];
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('hetqn')
    .description('hetqn: a distributed actor runtime for a fully heterogeneous prepare-and-measure quantum network')
    .showHelpAfterError()
    .exitOverride();
  for (const load of commandModules) (await load()).register(program);
  for (const [name, lines] of Object.entries(PARENT_EXAMPLES)) {
    const cmd = program.commands.find((c) => c.name() === name);
    if (cmd) withExample(cmd, lines);
  }
  program.addHelpText('after', examples([
    'hetqn up -d                                  # the reference network, in the background',
    'hetqn status                                 # nodes, states, heartbeats',
    'hetqn qkd David Alice --seconds 1            # BB84: ~2.5 Mbit into both secret pools',
    'hetqn pools --node David                     # pool levels (no key material)',
    'hetqn sign --signer David --receiver Alice --file msg.txt --fill',
    'hetqn down',
  ]) + EXIT_TEXT);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) process.exit(0);
      // Commander has printed the message and the help on stderr.
      if (json) process.stdout.write(JSON.stringify(errorObject(new CliError(err.message.replace(/^error: /, ''), 'bad-input', { field: commanderField(err) }))) + '\n');
      process.exit(2);
    }
    const e = err instanceof CliError ? err : new CliError(err instanceof Error ? err.message : String(err), 'internal');
    if (json) process.stdout.write(JSON.stringify(errorObject(e)) + '\n');
    process.stderr.write(`hetqn: ${e.message}\n`);
    if (!(err instanceof CliError) && process.env.HETQN_DEBUG) console.error(err);
    process.exit(e.exitCode);
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('runtime/cli/main.ts')) {
  await main(process.argv.slice(2));
}
