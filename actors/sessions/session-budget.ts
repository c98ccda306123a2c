// How long the server and the parties wait for a session's sampling and post-processing: a minute plus
// 50 us per predicted sifted bit and per 1e5 pulses (sampling cost grows with detections, post-processing
// with sifted bits). A budget longer than a timer can hold (2^31 - 1 ms, 24.8 days: Node fires longer
// timers at once) is refused when the plan is made, so every accepted session gets a real deadline.

export const MAX_TIMER_MS = 2 ** 31 - 1;

export function processingBudgetMs(plan: { pulses: number; prediction: { siftedBits?: number } }): number {
  const work = (plan.prediction.siftedBits || 0) + plan.pulses / 1e5;
  return 60_000 + Math.ceil(work * 0.05);
}

/** The most pulses whose budget still fits a timer, for a plan predicting `siftedPerPulse`. */
export function maxBudgetPulses(siftedPerPulse: number): number {
  return Math.floor((MAX_TIMER_MS - 60_000) / 0.05 / (siftedPerPulse + 1e-5));
}
