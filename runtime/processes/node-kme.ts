// The ETSI GS QKD 014 KME of a node process (infra/kme/server.ts) over the node's own key pools, on
// 127.0.0.1 unless its configuration (infra/kme/config.ts) binds it elsewhere. Its URL goes into the
// node's heartbeats, so `hetqn status` shows it.
// Without SAE credentials in the configuration (no `saes`, no client CA) the node's one SAE is named after
// the node and gets a fresh bearer token, written owner-only to <state dir>/kme/<net>-<node>.token and
// removed when the node stops; the token itself is never logged.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { KeyPoolStore } from '../../infra/keypool/store.ts';
import type { KmeConfig } from '../../infra/kme/config.ts';
import { sha256Hex } from '../../infra/kme/sae.ts';
import { startKme } from '../../infra/kme/server.ts';
import { stateDir } from '../state-file.ts';

export interface NodeKme {
  url: string;
  /** Where the generated token of the node-named SAE is, when the configuration gave no credentials. */
  tokenFile?: string;
  close(): Promise<void>;
}

export interface NodeKmeOptions {
  net: string;
  node: string;
  /** The node's key pools; without them (no Redis) there is no KME. */
  store: KeyPoolStore | undefined;
  config?: KmeConfig;
  log?: (line: string) => void;
}

const DEFAULT_CONFIG: KmeConfig = { bind: '127.0.0.1', port: 0, unlistedSaesAreNodes: true };

export function kmeTokenFile(net: string, node: string): string {
  return path.join(stateDir(), 'kme', `${net}-${node}.token`);
}

function writeToken(file: string, token: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file + '.tmp', token + '\n', { mode: 0o600 });
  fs.renameSync(file + '.tmp', file);
}

export async function startNodeKme(o: NodeKmeOptions): Promise<NodeKme | undefined> {
  if (!o.store) return undefined;
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const cfg = o.config ?? DEFAULT_CONFIG;
  let { saes } = cfg;
  let token: string | undefined;
  let tokenFile: string | undefined;
  if (!saes && !cfg.tls?.clientCa) {
    token = randomBytes(32).toString('base64url');
    saes = [{ id: o.node, node: o.node, tokenSha256: sha256Hex(token) }];
  }
  const kme = await startKme({ store: o.store, host: cfg.bind, port: cfg.port, saes, unlistedSaesAreNodes: cfg.unlistedSaesAreNodes, tls: cfg.tls });
  if (token) {
    tokenFile = kmeTokenFile(o.net, o.node);
    try { writeToken(tokenFile, token); } catch (e) { await kme.close(); throw new Error(`${o.node}: KME token file ${tokenFile}: ${(e as Error).message}`); }
  }
  log(`${o.node}: ETSI GS QKD 014 KME at ${kme.url}${tokenFile ? ` (SAE "${o.node}": bearer token in ${tokenFile})` : ''}`);
  return {
    url: kme.url, tokenFile,
    async close() {
      await kme.close();
      // Remove the token only if it is still ours (a later process of the same node may have replaced it).
      if (tokenFile && token) {
        try { if (fs.readFileSync(tokenFile, 'utf8').trim() === token) fs.rmSync(tokenFile, { force: true }); } catch { /* gone already */ }
      }
    },
  };
}
