// A minimal ETSI GS QKD 014 client for tests: HTTP or HTTPS (with a CA to trust and an optional client
// certificate, which global fetch cannot take), a bearer token, JSON in and out.
import http from 'node:http';
import https from 'node:https';

export interface CallOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  token?: string;
  /** CA that signed the KME's server certificate, and the SAE's client certificate. */
  tls?: { ca: string; cert?: string; key?: string };
}

export interface CallResult { status: number; body: { message?: string; keys?: { key_ID: string; key: string }[]; [k: string]: unknown } }

export function call(url: string, o: CallOptions = {}): Promise<CallResult> {
  const u = new URL(url);
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  const headers: Record<string, string> = {};
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  const opts = { method: o.method ?? (payload === undefined ? 'GET' : 'POST'), headers, agent: false as const, ...(o.tls ?? {}) };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(u, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
