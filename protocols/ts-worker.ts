// Start a worker thread whose entry is a TypeScript module, or its compiled bundle (runtime/compiled.ts).
// Node 20 does not carry the parent's module hooks (tsx) into workers, so a TypeScript worker
// registers tsx itself before importing its entry; a failure to load is rethrown inside the worker
// and so reaches the parent as the Worker's 'error' event (then 'exit').
import { Worker } from 'node:worker_threads';

/** The entry `name` next to the calling module: `<name>.ts` from sources, `<name>.js` when the caller
 *  runs from a compiled bundle (dist/ is flat, every worker entry sits next to the process entries). */
export function workerEntry(name: string, callerUrl: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.js') ? '.js' : '.ts'}`, callerUrl);
}

export function startTsWorker(entry: URL): Worker {
  if (entry.pathname.endsWith('.js')) return new Worker(entry);
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`
    + `.catch((e) => { setImmediate(() => { throw e; }); });`;
  return new Worker(boot, { eval: true });
}
