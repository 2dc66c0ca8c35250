import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server, utils } from 'ssh2';
import { fingerprintOf, SshSession } from '../src/index.js';

// Password authentication against ssh2's own server (the OpenSSH harness runs as root with
// keys only: giving root a password on a test machine is not ours to do).
describe('SshSession with a password', () => {
  const password = `pw-${process.pid}-correct horse`;
  let server: Server;
  let port: number;
  let fingerprint: string;
  const seenPasswords: string[] = [];
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drkit-ssh2srv-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
    const hostKey = readFileSync(join(dir, 'key'));
    const parsed = utils.parseKey(hostKey);
    if (parsed instanceof Error) throw parsed;
    fingerprint = fingerprintOf(parsed.getPublicSSH());
    server = new Server({ hostKeys: [hostKey] }, (client) => {
      client.on('authentication', (ctx) => {
        if (ctx.method === 'password') {
          seenPasswords.push(ctx.password);
          return ctx.password === password ? ctx.accept() : ctx.reject(['password']);
        }
        ctx.reject(['password']);
      });
      client.on('ready', () => {
        client.on('session', (accept) => {
          accept().once('exec', (acceptExec) => {
            const channel = acceptExec();
            channel.write('authenticated\n');
            channel.exit(0);
            channel.end();
          });
        });
      });
      client.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('logs in with a password, and puts it in no message', async () => {
    const warnings: string[] = [];
    const s = await SshSession.open({
      host: '127.0.0.1',
      port,
      username: 'dr',
      password,
      hostKey: { kind: 'fingerprint', sha256: fingerprint },
      warn: (m) => warnings.push(m),
    });
    try {
      expect((await s.exec({ argv: ['true'] })).stdout.toString()).toBe('authenticated\n');
    } finally {
      await s.close();
    }
    expect(seenPasswords).toContain(password);
    const wrong = await SshSession.open({
      host: '127.0.0.1',
      port,
      username: 'dr',
      password: 'not-it',
      hostKey: { kind: 'fingerprint', sha256: fingerprint },
    }).catch((e) => e);
    expect(wrong.code).toBe('auth-failed');
    expect(`${wrong.message} ${JSON.stringify(wrong.details ?? {})} ${warnings.join()}`).not.toContain('not-it');
    expect(warnings.join()).not.toContain(password);
  });
});
