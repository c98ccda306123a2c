// A private certificate authority for hetqn's TLS (NATS, Redis, the ETSI 014 key delivery API):
// ECDSA P-256 keys and X.509 v3 certificates made with @peculiar/x509 on Node's WebCrypto, so no
// openssl binary is needed on a user's host. Everything is PEM: certificates as CERTIFICATE, private
// keys as PKCS#8 PRIVATE KEY (read by Node, OpenSSL in redis-server and Go in nats-server alike).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';

type CryptoKey = webcrypto.CryptoKey;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const subtle = webcrypto.subtle;

/** A certificate and its private key, both PEM. */
export interface CertKey { cert: string; key: string }

export interface IssueOptions {
  commonName: string;
  /** DNS names and IP literals for the subjectAltName (what clients check the server against). */
  hosts: string[];
  /** May authenticate a TLS server (extendedKeyUsage serverAuth). Default true unless client is set. */
  server?: boolean;
  /** May authenticate a TLS client (extendedKeyUsage clientAuth), for mutual TLS. */
  client?: boolean;
  /** Validity in days (default 825, the longest leaf lifetime browsers accept). */
  days?: number;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
// Backdated so a peer whose clock is a little behind still accepts a certificate made just now.
const SKEW_MS = 3_600_000;

const validity = (days: number) => {
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`days: must be positive, got ${days}`);
  const now = Date.now();
  return { notBefore: new Date(now - SKEW_MS), notAfter: new Date(now + days * DAY) };
};
const serial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '7');
const nameOf = (cn: string): x509.JsonName => [{ CN: [cn] }];

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return subtle.generateKey(EC, true, ['sign', 'verify']);
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const [der] = x509.PemConverter.decode(pem);
  if (!der) throw new TypeError('key: not a PEM private key');
  return subtle.importKey('pkcs8', der, EC, false, ['sign']);
}

/** A self-signed CA that may only sign certificates (keyCertSign, cRLSign; path length 0). */
export async function createCa(commonName: string, opts: { days?: number } = {}): Promise<CertKey> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: nameOf(commonName), keys, signingAlgorithm: SIGN, ...validity(opts.days ?? 3650),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

/** A leaf certificate signed by `ca`, valid for `hosts` (subjectAltName DNS / IP entries). */
export async function issueCert(ca: CertKey, opts: IssueOptions): Promise<CertKey> {
  const server = opts.server ?? !opts.client;
  const client = opts.client ?? false;
  if (!server && !client) throw new TypeError('issueCert: a certificate must be for a server, a client or both');
  if (server && opts.hosts.length === 0) throw new TypeError('issueCert: a server certificate needs at least one host');
  const caCert = new x509.X509Certificate(ca.cert);
  const keys = await newKeys();
  const usages = [...(server ? [x509.ExtendedKeyUsage.serverAuth] : []), ...(client ? [x509.ExtendedKeyUsage.clientAuth] : [])];
  const names = opts.hosts.map((h) => ({ type: isIP(h) ? 'ip' : 'dns', value: h }) as x509.JsonGeneralName);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: nameOf(opts.commonName), issuer: caCert.subjectName, ...validity(opts.days ?? 825),
    publicKey: keys.publicKey, signingKey: await importKey(ca.key), signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages, false),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

/** Paths of a CA certificate and one certificate with its key, as the servers' TLS options take them. */
export interface TlsFiles { caFile: string; certFile: string; keyFile: string }

/** Write `<name>.crt` (0644) and `<name>.key` (0600) into `dir` (created 0700 if missing). */
export function writeCertKey(dir: string, name: string, pair: CertKey): { certFile: string; keyFile: string } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  fs.writeFileSync(certFile, pair.cert, { mode: 0o644 });
  fs.writeFileSync(keyFile, pair.key, { mode: 0o600 });
  fs.chmodSync(keyFile, 0o600); // an existing file keeps its mode on writeFileSync
  return { certFile, keyFile };
}

/**
 * A CA (given, or made here) and a server certificate for `hosts`, written to `dir` as ca.crt,
 * server.crt and server.key. The CA's key is written (ca.key, 0600) only with saveCaKey: a server
 * host needs the CA certificate, not the power to issue.
 */
export async function writeServerTls(dir: string, opts: { hosts: string[]; commonName?: string; ca?: CertKey; client?: boolean; saveCaKey?: boolean; days?: number }): Promise<TlsFiles & { ca: CertKey; server: CertKey }> {
  const ca = opts.ca ?? await createCa('hetqn CA');
  const server = await issueCert(ca, { commonName: opts.commonName ?? opts.hosts[0] ?? 'hetqn', hosts: opts.hosts, server: true, client: opts.client, days: opts.days });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = path.join(dir, 'ca.crt');
  fs.writeFileSync(caFile, ca.cert, { mode: 0o644 });
  if (opts.saveCaKey) writeCertKey(dir, 'ca', ca);
  return { caFile, ...writeCertKey(dir, 'server', server), ca, server };
}

/** Node TLS client options (for ioredis `tls`, node:tls, https) trusting `ca`, optionally with a client certificate. */
export function clientTlsOptions(opts: { ca: string; cert?: string; key?: string; servername?: string }): ConnectionOptions {
  return { ca: [opts.ca], cert: opts.cert, key: opts.key, servername: opts.servername, rejectUnauthorized: true };
}
