// Start a worker thread whose entry is a TypeScript module. Node 20 does not carry the parent's
// module hooks (tsx) into workers, so the worker registers tsx itself before importing its entry;
// a failure to load is rethrown inside the worker and so reaches the parent as the Worker's
// 'error' event (then 'exit').
import { Worker } from 'node:worker_threads';

export function startTsWorker(entry: URL): Worker {
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`
    + `.catch((e) => { setImmediate(() => { throw e; }); });`;
  return new Worker(boot, { eval: true });
}
