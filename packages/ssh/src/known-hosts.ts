import { createHmac, timingSafeEqual } from 'node:crypto';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  /** Comma-separated patterns, or one hashed `|1|salt|hash` entry. */
  patterns: string[];
  keyType: string;
  /** The key blob in SSH wire format, as the server sends it. */
  key: Buffer;
}

export type HostKeyVerdict =
  | { kind: 'match' }
  | { kind: 'unknown' }
  | { kind: 'mismatch'; knownTypes: string[] }
  | { kind: 'revoked' };

/** Parses known_hosts text (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"); malformed lines are skipped like ssh does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift()!.slice(1) as KnownHostEntry['marker'];
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) continue;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) continue;
    entries.push({ ...(marker && { marker }), patterns: hosts.split(','), keyType, key });
  }
  return entries;
}

/** How ssh names a host in known_hosts: bare on port 22, `[host]:port` elsewhere. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * What known_hosts says about the key a server presented. A host listed with other keys
 * is a mismatch (possible impostor), not "unknown". @cert-authority lines are not used:
 * drkit does not verify host certificates, so such hosts must be pinned another way.
 */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostName(host, port);
  const known: KnownHostEntry[] = [];
  for (const e of entries) {
    if (!hostMatches(e.patterns, name)) continue;
    if (e.marker === 'revoked') {
      if (e.key.equals(key)) return { kind: 'revoked' };
      continue;
    }
    if (e.marker === 'cert-authority') continue;
    known.push(e);
  }
  if (known.some((e) => e.key.equals(key))) return { kind: 'match' };
  if (known.length > 0) return { kind: 'mismatch', knownTypes: [...new Set(known.map((e) => e.keyType))] };
  return { kind: 'unknown' };
}

function hostMatches(patterns: string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('|1|')) {
      if (hashedMatches(p, name)) matched = true;
    } else if (p.startsWith('!')) {
      if (globMatches(p.slice(1), name)) return false;
    } else if (globMatches(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as written by HashKnownHosts. */
function hashedMatches(pattern: string, name: string): boolean {
  const [, , salt, hash] = pattern.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** ssh's patterns: `*` any run, `?` one character, case-insensitive. */
function globMatches(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}
