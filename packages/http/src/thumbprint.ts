/**
 * Certificate thumbprints as drkit shows and compares them. No imports: the upload threads
 * check pins with these without loading drkit's module graph.
 */

/** Node's `fingerprint256` (AB:CD:…) as 64 upper-case hex digits. */
export function fingerprintHex(fingerprint256: string): string {
  return fingerprint256.replace(/:/g, '').toUpperCase();
}

export function formatThumbprint(hex: string): string {
  return hex.match(/../g)?.join(':') ?? hex;
}
