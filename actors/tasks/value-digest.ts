// Names for QBA values, which can be 0.1 MB files: what nodes report and what the signature registry
// (the earlier links of relayed chains) carries between rounds instead of the values themselves.
import { createHash } from 'node:crypto';
import { BOTTOM } from '../../protocols/tasks/qba.ts';

const sha256 = (v: string) => createHash('sha256').update(v, 'latin1').digest('hex');

/** Short name for reports: SHA-256, first 16 hex digits; BOTTOM stays BOTTOM. */
export const valueDigest = (v: string) => (v === BOTTOM ? BOTTOM : sha256(v).slice(0, 16));

/** Collision-resistant stand-in for a value in the signature registry (full SHA-256). */
export const registryDigest = (v: string) => (v === BOTTOM ? BOTTOM : sha256(v));
