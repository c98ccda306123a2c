// The `hetqn` command line. Each command lives in runtime/cli/commands/<name>.ts and exports
// `register(program)`; add one import + one line below per command.
import { Command, CommanderError } from 'commander';
import { CliError } from './output.ts';

type Register = (program: Command) => void;
const commandModules: Array<() => Promise<{ register: Register }>> = [
  // one line per command module, e.g. () => import('./commands/keyrate.ts'),
  () => import('./commands/up.ts'),
  () => import('./commands/down.ts'),
  () => import('./commands/status.ts'),
  () => import('./commands/node.ts'),
  () => import('./commands/inspect.ts'),
  () => import('./commands/demo.ts'),
  () => import('./commands/keyrate.ts'),
  () => import('./commands/params.ts'),
  () => import('./commands/pools.ts'),
  () => import('./commands/sign.ts'),
  () => import('./commands/qba.ts'),
  () => import('./commands/conference.ts'),
  () => import('./commands/qkd.ts'),
];

export async function main(argv: string[]): Promise<void> {
  const program = new Command('hetqn')
    .description('hetqn: a distributed actor runtime for a fully heterogeneous prepare-and-measure quantum network')
    .showHelpAfterError()
    .exitOverride();
  for (const load of commandModules) (await load()).register(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    const json = argv.includes('--json');
    const message = err instanceof Error ? err.message : String(err);
    if (json) process.stdout.write(JSON.stringify({ error: message }) + '\n');
    process.stderr.write(`hetqn: ${message}\n`);
    if (!(err instanceof CliError) && process.env.HETQN_DEBUG) console.error(err);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('runtime/cli/main.ts')) {
  await main(process.argv.slice(2));
}
