// `hetqn down [--net <name>] [--timeout s] [--json]`: stop a network started with `hetqn up --detach`.
import type { Command } from 'commander';
import { liveStates, pidAlive, readState, removeState, stateDir } from '../../state-file.ts';
import { CliError, printResult, stageLogger, timeoutOption } from '../output.ts';
import { withExample } from '../help.ts';

export function register(program: Command): void {
  withExample(program.command('down')
    .description('stop a network started in the background with `hetqn up --detach`')
    .option('--net <name>', 'network name (default: HETQN_NET, else the only running one)')
    .option('--timeout <s>', 'seconds to wait for a clean stop before killing its processes', '20')
    .option('--json', 'print one JSON object'), ['hetqn down', 'hetqn down --net reference --json'], 'network reference stopped')
    .action(async (o) => {
      const timeoutMs = timeoutOption(o.timeout);
      let net: string | undefined = o.net ?? (process.env.HETQN_NET || undefined);
      if (!net) {
        const live = liveStates();
        if (live.length === 0) throw new CliError(`--net: no running network found in ${stateDir()}`, 'unavailable');
        if (live.length > 1) throw new CliError(`--net: several networks are running (${live.map((s) => s.net).join(', ')}); pick one`);
        net = live[0]!.net;
      }
      const s = readState(net);
      if (!s) throw new CliError(`--net: network "${net}" is not running (no state file in ${stateDir()})`, 'unavailable');
      const stage = stageLogger();
      let forced = false;
      if (pidAlive(s.pid)) {
        stage(`stopping network ${net} (pid ${s.pid}); waiting up to ${timeoutMs / 1000} s for its ${s.processes.length} processes to leave`);
        process.kill(s.pid, 'SIGTERM');
        const deadline = Date.now() + timeoutMs;
        while (pidAlive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        if (pidAlive(s.pid)) {
          forced = true;
          stage(`still running after ${timeoutMs / 1000} s: killing its processes`);
          for (const p of [...s.processes.map((x) => x.pid), s.pid]) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
        }
      }
      // Children of a killed launcher may survive it.
      for (const p of s.processes) if (pidAlive(p.pid)) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } }
      removeState(net);
      printResult(o, { net, stopped: true, forced }, () => `network ${net} stopped${forced ? ' (forced)' : ''}`);
    });
}
