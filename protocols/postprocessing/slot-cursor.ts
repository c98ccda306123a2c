// One party's own click records walked in slot order while the peer's announcements of the same
// run arrive (both lists increase, so one pass matches them): the sifting halves of BB84, BBM92
// and MDI look up their basis, bit and intensity for each announced slot with it.
/** Number of records in a list of frames. */
export const recordCount = (frames: readonly { deltas: Uint32Array }[]): number => frames.reduce((n, f) => n + f.deltas.length, 0);

export class SlotCursor {
  /** Frame and record index of the current record. */
  fi = 0;
  ii = 0;
  /** The current record's slot; Infinity past the last record. */
  slot = Infinity;

  constructor(private readonly frames: readonly { firstSlot: number; deltas: Uint32Array }[]) { this.enterFrame(); }

  /** Move to the next record. */
  advance(): void {
    const frames = this.frames;
    this.ii++;
    if (this.fi < frames.length && this.ii < frames[this.fi].deltas.length) { this.slot += frames[this.fi].deltas[this.ii]; return; }
    this.fi++; this.ii = 0;
    this.enterFrame();
  }

  /** Skip the rest of the current frame (a caller that consumed it whole). */
  nextFrame(): void { this.ii = this.frames[this.fi].deltas.length - 1; this.advance(); }

  /** Skip empty frames; the slot becomes the first record's. */
  private enterFrame(): void {
    const frames = this.frames;
    while (this.fi < frames.length && frames[this.fi].deltas.length === 0) this.fi++;
    this.slot = this.fi < frames.length ? frames[this.fi].firstSlot : Infinity;
  }
}
