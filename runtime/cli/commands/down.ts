// `hetqn down [--net <name>] [--json]`: stop a network started with `hetqn up --detach`.
import type { Command } from 'commander';
import { liveStates, pidAlive, readState, removeState } from '../../state-file.ts';
import { CliError, printResult, progress } from '../output.ts';

export function register(program: Command): void {
  program.command('down')
    .description('stop a network started in the background with `hetqn up --detach`')
    .option('--net <name>', 'network name (default: the only running one)')
    .option('--json', 'print one JSON object')
    .action(async (o) => {
      let net: string | undefined = o.net;
      if (!net) {
        const live = liveStates();
        if (live.length === 0) throw new CliError('no running network found in .hetqn/ (pass --net)');
        if (live.length > 1) throw new CliError(`--net: several networks are running (${live.map((s) => s.net).join(', ')})`);
        net = live[0]!.net;
      }
      const s = readState(net);
      if (!s) throw new CliError(`--net: no state file for network "${net}" in .hetqn/`);
      let forced = false;
      if (pidAlive(s.pid)) {
        progress(`stopping network ${net} (pid ${s.pid})...`);
        process.kill(s.pid, 'SIGTERM');
        const deadline = Date.now() + 20_000;
        while (pidAlive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        if (pidAlive(s.pid)) {
          forced = true;
          for (const p of [...s.processes.map((x) => x.pid), s.pid]) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
        }
      }
      // Children of a killed launcher may survive it.
      for (const p of s.processes) if (pidAlive(p.pid)) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } }
      removeState(net);
      printResult(o, { net, stopped: true, forced }, () => `network ${net} stopped${forced ? ' (forced)' : ''}`);
    });
}
