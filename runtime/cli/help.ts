// Worked examples at the end of every command's help (`hetqn <command> --help`).
import type { Command } from 'commander';

export function examples(lines: string[]): string {
  return `\nExample:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Add a worked example (and what it prints, when given) to a command's help. */
export function withExample(cmd: Command, lines: string[], output?: string): Command {
  return cmd.addHelpText('after', examples(lines) + (output ? `${output.split('\n').map((l) => `  ${l}`).join('\n')}\n` : ''));
}
