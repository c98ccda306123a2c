// Entry of the server's fabric worker thread (started by fabric-worker-pool.ts): runs one session's
// emulated optics (actors/server/fabric.ts runFabric: sampling, then each participant's local view)
// and packs every delivery for the wire (session-wiring-stream.ts packStreamMessage) off the server's
// main thread, which only cuts the packed bytes into frames and publishes them. So the sampler of
// the next frame runs while the main thread sends the previous one, and the server's actors
// (platform requests, coordinators, hypervisor) never wait behind seconds of sampling.
// Flow control: at most `credits` deliveries are posted ahead of the main thread's `more`.
import { parentPort } from 'node:worker_threads';
import { runFabric, type FabricInputs } from '../../actors/server/fabric.ts';
import type { Plan } from '../../actors/server/orchestration-types.ts';
import { packStreamMessage } from './session-wiring-stream.ts';
import type { FabricFromWorker, FabricToWorker } from './fabric-worker-messages.ts';

const port = parentPort;
if (!port) throw new Error('fabric-worker.ts runs only as a worker thread');

let credits = 0;
let wake: (() => void) | undefined;

async function run(plan: Plan, env: FabricInputs, ahead: number): Promise<void> {
  credits = ahead;
  const r = runFabric(plan, env);
  port!.postMessage({ op: 'link', link: r.link } satisfies FabricFromWorker);
  for (const d of r.deliveries) {
    while (credits <= 0) await new Promise<void>((res) => { wake = res; });
    credits--;
    // An own buffer holding just the message (the packer's may be shared with the next message), moved.
    const bytes = new Uint8Array(packStreamMessage(d.msg));
    port!.postMessage({ op: 'delivery', node: d.node, bytes, detections: r.detections() } satisfies FabricFromWorker, [bytes.buffer]);
  }
  port!.postMessage({ op: 'end', detections: r.detections() } satisfies FabricFromWorker);
}

port.on('message', (m: FabricToWorker) => {
  if (m.op === 'more') { credits++; const w = wake; wake = undefined; w?.(); return; }
  run(m.plan, m.env, m.ahead).catch((e: Error) => port!.postMessage({ op: 'failed', message: e.message } satisfies FabricFromWorker));
});
port.postMessage({ op: 'ready' } satisfies FabricFromWorker);
