// Device constants when the network view does not give them: the reference network
// (docs/reference/reference-network.md) with misalignments near its published QBERs (BB84 ~0.9 %, MDI 1.6-3.4 %).
import type { PhysicsDefaults } from './descriptor.ts';

export const REFERENCE_DEFAULTS: PhysicsDefaults = {
  etaDet: 0.2,
  darkCount: 1e-6,
  misalignmentBb84: 0.009,
  misalignmentMdi: 0.015,
  visibility: 0.95,
  rateHz: 1e9,
  seconds: 1,
};
