// A BB84 plan's flat parameters as the sampler's and the pipeline's source settings.
import type { Bb84SourceParams } from '../../physics/bb84-model.ts';

export function bb84SourceParams(params: Record<string, number>): Bb84SourceParams {
  const need = (k: string) => { const v = params[k]; if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`plan params: ${k} missing`); return v; };
  return { qX: need('qX'), mu1: need('mu1'), mu2: need('mu2'), mu3: need('mu3'), pMu1: need('pMu1'), pMu2: need('pMu2'), ...(params.qXBob !== undefined ? { qXBob: params.qXBob } : {}) };
}

