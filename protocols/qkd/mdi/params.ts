// An MDI plan's flat parameters (sA, muA, nuA, pSA, pMuA, pNuA and B) as per-side source settings.
import type { MdiSourceParams } from '../../physics/sampler-mdi.ts';

/** Flat plan parameters (sA, muA, nuA, pSA, pMuA, pNuA and B) as the sampler's per-side settings. */
export function mdiSourceParams(params: Record<string, number>): MdiSourceParams {
  const side = (x: 'A' | 'B') => {
    const v = { s: params[`s${x}`], mu: params[`mu${x}`], nu: params[`nu${x}`], pS: params[`pS${x}`], pMu: params[`pMu${x}`], pNu: params[`pNu${x}`] };
    for (const [k, val] of Object.entries(v)) if (typeof val !== 'number' || !Number.isFinite(val)) throw new Error(`plan params: ${k}${x} missing`);
    return v as { s: number; mu: number; nu: number; pS: number; pMu: number; pNu: number };
  };
  return { a: side('A'), b: side('B') };
}

