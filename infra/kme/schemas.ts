// Request and response shapes of ETSI GS QKD 014 V1.1.1 (REST key delivery), clause 6:
// Status (6.1), Key request (6.2), Key container (6.3), Key IDs (6.4), Error (6.5).
import { z } from 'zod';

/** 6.2 Key request: every field optional; number defaults to 1, size to the status key_size. */
export const keyRequestSchema = z.object({
  number: z.number().int().min(1).optional(),
  size: z.number().int().min(1).optional(),
  additional_slave_SAE_IDs: z.array(z.string()).optional(),
  extension_mandatory: z.array(z.record(z.unknown())).optional(),
  extension_optional: z.array(z.record(z.unknown())).optional(),
}).strict();
export type KeyRequest = z.infer<typeof keyRequestSchema>;

/** 6.4 Key IDs: key_ID is a UUID (RFC 4122). */
export const keyIdsSchema = z.object({
  key_IDs: z.array(z.object({ key_ID: z.string().uuid(), key_ID_extension: z.unknown().optional() }).strict()).min(1),
  key_IDs_extension: z.unknown().optional(),
}).strict();
export type KeyIds = z.infer<typeof keyIdsSchema>;

/** 6.1 Status. */
export interface Status {
  source_KME_ID: string;
  target_KME_ID: string;
  master_SAE_ID: string;
  slave_SAE_ID: string;
  key_size: number;
  stored_key_count: number;
  max_key_count: number;
  max_key_per_request: number;
  max_key_size: number;
  min_key_size: number;
  max_SAE_ID_count: number;
  status_extension?: unknown;
}

/** 6.3 Key container: key is the key bits in base64 (RFC 4648). */
export interface KeyContainer { keys: { key_ID: string; key: string }[]; key_container_extension?: unknown }

/** 6.5 Error: message plus optional name/value details. */
export interface ErrorBody { message: string; details?: Record<string, unknown>[] }

/** Turn a zod failure into a 014 error body whose message names the offending field(s). */
export function zodError(where: string, err: z.ZodError): ErrorBody {
  const details = err.issues.map((i) => ({ [i.path.length ? i.path.join('.') : where]: i.message }));
  const fields = [...new Set(err.issues.map((i) => (i.path.length ? i.path.join('.') : where)))];
  return { message: `bad request format: invalid ${fields.join(', ')}`, details };
}
