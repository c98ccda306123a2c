// Every actor's latest steps in one log, filterable.
import type { Model } from '../model.ts';
import { StepLog } from './machine.tsx';

export function LogView({ model }: { model: Model }) {
  return <div class="log-view"><StepLog steps={model.log} showActor model={model} /></div>;
}
