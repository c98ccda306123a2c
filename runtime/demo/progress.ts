// Progress bars on stderr (cli-progress), one per demo step and one per QKD run. On a non-TTY
// stderr (CI, redirected) the bars are replaced by one line per change.
import cliProgress from 'cli-progress';

export interface Bar { update(value: number, status?: string): void; done(status: string): void }

export class DemoProgress {
  private multi?: cliProgress.MultiBar;
  private readonly tty = !!process.stderr.isTTY;

  constructor(enabled = true) {
    if (enabled && this.tty) {
      this.multi = new cliProgress.MultiBar({
        stream: process.stderr, clearOnComplete: false, hideCursor: true, autopadding: true,
        format: ' {name} |{bar}| {percentage}% {status}', barsize: 24,
      }, cliProgress.Presets.shades_grey);
    }
  }

  bar(name: string, total: number): Bar {
    const label = name.padEnd(26).slice(0, 26);
    if (this.multi) {
      const b = this.multi.create(total, 0, { name: label, status: '' });
      return {
        update: (v, status) => b.update(Math.min(v, total), { status: status ?? '' }),
        done: (status) => b.update(total, { status }),
      };
    }
    let last = '';
    const line = (s: string) => { if (s !== last) { last = s; process.stderr.write(`demo: ${name}: ${s}\n`); } };
    return { update: (_v, status) => line(status ?? ''), done: (status) => line(status) };
  }

  log(line: string): void {
    if (this.multi) this.multi.log(line + '\n'); else process.stderr.write(line + '\n');
  }

  stop(): void { this.multi?.stop(); }
}
