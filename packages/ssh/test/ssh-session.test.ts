import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrkitError } from '@drkit/core';
import { SshSession, type SshEndpoint } from '../src/index.js';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';

// Against a real OpenSSH server on loopback (test/harness/sshd.ts).
describe.skipIf(!sshdAvailable())('SshSession against a real sshd', () => {
  let sshd: Sshd;
  let tight: Sshd;
  const endpoint = (s: Sshd, extra: Partial<SshEndpoint> = {}): SshEndpoint => ({
    host: s.host,
    port: s.port,
    username: s.username,
    privateKey: s.clientKey,
    hostKey: { kind: 'known-hosts', file: s.knownHostsFile },
    ...extra,
  });

  beforeAll(async () => {
    [sshd, tight] = await Promise.all([startSshd(), startSshd({ maxSessions: 2 })]);
  });
  afterAll(async () => {
    await Promise.all([sshd?.stop(), tight?.stop()]);
  });

  it('verifies the host key from known_hosts and runs a command under LC_ALL=C', async () => {
    const s = await SshSession.open(endpoint(sshd));
    try {
      const r = await s.exec({ script: 'printf "%s|%s" "$1" "$LC_ALL"', args: ["it's $(id)"] });
      expect(r.stdout.toString()).toBe("it's $(id)|C");
    } finally {
      await s.close();
    }
  });

  it('accepts a pinned SHA-256 fingerprint', async () => {
    const s = await SshSession.open(endpoint(sshd, { hostKey: { kind: 'fingerprint', sha256: sshd.fingerprint } }));
    await s.close();
  });

  it('refuses a host whose key differs from known_hosts, before authenticating', async () => {
    const other = join(sshd.dir, 'other_known_hosts');
    const pub = newKey(join(sshd.dir, 'imposter')).pub;
    await writeFile(other, `[127.0.0.1]:${sshd.port} ${pub}\n`);
    const err = await SshSession.open(endpoint(sshd, { hostKey: { kind: 'known-hosts', file: other } })).catch(
      (e) => e,
    );
    expect(DrkitError.isInstance(err) && err.code).toBe('host-key-mismatch');
    expect(err.message).toMatch(/differs from the ssh-ed25519 key/);
    expect(err.message).toContain(sshd.fingerprint);
  });

  it('refuses an unknown host and a wrong pin, and names the way to pin it', async () => {
    const empty = join(sshd.dir, 'empty_known_hosts');
    await writeFile(empty, '');
    const unknown = await SshSession.open(endpoint(sshd, { hostKey: { kind: 'known-hosts', file: empty } })).catch(
      (e) => e,
    );
    expect(unknown.code).toBe('host-key-mismatch');
    expect(unknown.message).toContain(`--fingerprint ${sshd.fingerprint}`);
    const pinned = await SshSession.open(
      endpoint(sshd, { hostKey: { kind: 'fingerprint', sha256: `SHA256:${'A'.repeat(43)}` } }),
    ).catch((e) => e);
    expect(pinned.code).toBe('host-key-mismatch');
  });

  it('warns when told not to verify', async () => {
    const warnings: string[] = [];
    const s = await SshSession.open(endpoint(sshd, { hostKey: { kind: 'insecure' }, warn: (m) => warnings.push(m) }));
    await s.close();
    expect(warnings.join()).toMatch(/NOT verified/);
  });

  it('maps a refused key to auth-failed and a closed port to unreachable', async () => {
    const badKey = newKey(join(sshd.dir, 'stranger')).key;
    const auth = await SshSession.open(endpoint(sshd, { privateKey: badKey })).catch((e) => e);
    expect(auth.code).toBe('auth-failed');
    const closed = await SshSession.open(
      endpoint(sshd, { port: 1, hostKey: { kind: 'insecure' }, warn: () => {} }),
    ).catch((e) => e);
    expect(closed.code).toBe('unreachable');
  });

  it('types exit codes and signals', async () => {
    const s = await SshSession.open(endpoint(sshd));
    try {
      const failed = await s.exec({ script: 'echo "no such disk" >&2; exit 3' }).catch((e) => e);
      expect([failed.code, failed.fault, failed.message]).toEqual([
        'platform',
        'exit 3',
        'sh script exited with 3: no such disk',
      ]);
      const missing = await s.exec({ argv: ['drkit-no-such-command'] }).catch((e) => e);
      expect(missing.code).toBe('missing-command');
      const killed = await s.exec({ script: 'kill -TERM $$' }).catch((e) => e);
      expect(killed.fault).toBe('SIGTERM');
      const answer = await s.exec({ argv: ['grep', '-q', 'x', '/dev/null'] }, { okCodes: [1] });
      expect(answer.code).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('kills the remote process on abort and on timeout', async () => {
    const s = await SshSession.open(endpoint(sshd));
    // A unique duration is how pgrep finds exactly this sleep.
    const marker = `300.${process.pid}${Date.now() % 100000}`;
    try {
      const ac = new AbortController();
      const p = s.exec({ argv: ['sleep', marker] }, { signal: ac.signal });
      await waitFor(() => running(marker));
      ac.abort();
      expect((await p.catch((e) => e)).code).toBe('aborted');
      await waitFor(() => !running(marker));
      const t = await s.exec({ argv: ['sleep', marker] }, { timeoutMs: 300 }).catch((e) => e);
      expect(t.code).toBe('timeout');
      await waitFor(() => !running(marker));
    } finally {
      await s.close();
    }
  });

  it('runs 50 concurrent commands against MaxSessions 2 by queueing', async () => {
    const warnings: string[] = [];
    const s = await SshSession.open(endpoint(tight, { warn: (m) => warnings.push(m) }));
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => s.exec({ script: 'sleep 0.05; echo "$1"', args: [String(i)] })),
      );
      expect(results.map((r) => r.stdout.toString().trim())).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
      // The limit shrinks to what the server had open when it refused: its MaxSessions, or
      // fewer if a channel was closing just then — never more.
      expect(s.sessionLimit).toBeGreaterThanOrEqual(1);
      expect(s.sessionLimit).toBeLessThanOrEqual(2);
      expect(warnings.join()).toMatch(/refused a session channel.*MaxSessions/);
    } finally {
      await s.close();
    }
  });
});

function newKey(file: string): { key: Buffer; pub: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  return { key: readFileSync(file), pub: readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ') };
}

function running(marker: string): boolean {
  try {
    execFileSync('pgrep', ['-f', marker]);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
