import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, parseKnownHosts } from './known-hosts.js';
import { fingerprintOf, normalizeFingerprint } from './host-key-policy.js';

const keyA = Buffer.concat([Buffer.from('\0\0\0\x0bssh-ed25519\0\0\0\x20', 'latin1'), randomBytes(32)]);
const keyB = Buffer.concat([Buffer.from('\0\0\0\x0bssh-ed25519\0\0\0\x20', 'latin1'), randomBytes(32)]);
const b64 = (k: Buffer) => k.toString('base64');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('matches plain names, [host]:port for other ports, and hashed entries', () => {
    const entries = parseKnownHosts(
      [
        `# comment`,
        `db1.example,10.0.0.5 ssh-ed25519 ${b64(keyA)} root@db1`,
        `[10.0.0.6]:2222 ssh-ed25519 ${b64(keyA)}`,
        `${hashed('[10.0.0.7]:2200')} ssh-ed25519 ${b64(keyB)}`,
        'garbage',
      ].join('\n'),
    );
    expect(entries).toHaveLength(3);
    expect(checkHostKey(entries, 'DB1.example', 22, keyA).kind).toBe('match');
    expect(checkHostKey(entries, '10.0.0.6', 2222, keyA).kind).toBe('match');
    expect(checkHostKey(entries, '10.0.0.6', 22, keyA).kind).toBe('unknown');
    expect(checkHostKey(entries, '10.0.0.7', 2200, keyB).kind).toBe('match');
  });

  it('calls a listed host with another key a mismatch, not unknown', () => {
    const entries = parseKnownHosts(`db1 ssh-ed25519 ${b64(keyA)}`);
    expect(checkHostKey(entries, 'db1', 22, keyB)).toEqual({ kind: 'mismatch', knownTypes: ['ssh-ed25519'] });
  });

  it('honours wildcards, negation and @revoked; ignores @cert-authority', () => {
    const entries = parseKnownHosts(
      [
        `*.lab,!bad.lab ssh-ed25519 ${b64(keyA)}`,
        `@revoked * ssh-ed25519 ${b64(keyB)}`,
        `@cert-authority *.lab ssh-ed25519 ${b64(keyB)}`,
      ].join('\n'),
    );
    expect(checkHostKey(entries, 'web.lab', 22, keyA).kind).toBe('match');
    expect(checkHostKey(entries, 'bad.lab', 22, keyA).kind).toBe('unknown');
    expect(checkHostKey(entries, 'web.lab', 22, keyB).kind).toBe('revoked');
  });

  it('prints fingerprints like ssh-keygen -l and accepts them with or without the prefix', () => {
    const fp = fingerprintOf(keyA);
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(normalizeFingerprint(fp.slice(7))).toBe(fp);
    expect(() => normalizeFingerprint('MD5:aa:bb')).toThrow(/SHA256:/);
  });
});
