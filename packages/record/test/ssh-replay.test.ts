import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { localRunner } from '../../../test/harness/local-runner.js';
import { recordSsh, Redactor, replaySsh, VolatileTokens, LiveBindings } from '../src/index.js';

const FIXTURE = new URL('../../../fixtures/physical/linux-host', import.meta.url).pathname;

describe('SSH replay', () => {
  it('refuses a command the recording does not have next, loudly', async () => {
    const replay = await replaySsh(FIXTURE);
    const ssh = await replay.connect();
    const err = await ssh.exec({ argv: ['rm', '-rf', '/'] }).catch((e) => e);
    expect(err.code).toBe('replay-mismatch');
    expect(err.message).toMatch(/^expected #0 uname -s\n {5}got LC_ALL=C exec sh -c .*'rm' '-rf' '\/'$/);
  });

  it('answers the recorded command with the recorded (redacted) output', async () => {
    const replay = await replaySsh(FIXTURE);
    expect(replay.manifest.adapter).toBe('physical');
    const ssh = await replay.connect();
    // The adapter's first two questions: which OS, then the facts script.
    expect((await ssh.exec({ raw: 'uname -s', name: 'uname' }, { okCodes: [0, 1] })).stdout.toString()).toBe('Linux\n');
    const cassette = (await import('node:fs')).readFileSync(`${FIXTURE}/ssh.jsonl`, 'utf8').split('\n')[1]!;
    const script = /exec sh -c '.*?; \n([\s\S]*)' drkit$/
      .exec(JSON.parse(cassette).request.command)![1]!
      .replace(/'\\''/g, "'");
    const r = await ssh.exec({ script: `\n${script}` });
    expect(r.stdout.toString()).toContain('=== hostname\nhost-1.example.invalid');
  });

  it('stands in for volatile values and puts the live ones back', () => {
    const tokens = new VolatileTokens();
    const recorded = tokens.standIn(
      'btrfs subvolume snapshot -r /d /d/.drkit-snapshots/drkit-contract-3f1c2b9e-0a4d-4c1e-9b7a-2d6f8e1a5c3b.1795412196302',
    );
    expect(recorded).toBe(
      'btrfs subvolume snapshot -r /d /d/.drkit-snapshots/drkit-contract-00000000-0000-4000-8000-000000000001.1700000001000',
    );
    const live = new LiveBindings();
    expect(
      live.match(
        recorded,
        'btrfs subvolume snapshot -r /d /d/.drkit-snapshots/drkit-contract-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee.1795412199999',
      ),
    ).toBe(true);
    expect(live.restore('drkit-contract-00000000-0000-4000-8000-000000000001.1700000001000.base')).toBe(
      'drkit-contract-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee.1795412199999.base',
    );
    // The same stand-in cannot stand for two live values.
    expect(
      live.match(
        recorded,
        'btrfs subvolume snapshot -r /d /d/.drkit-snapshots/drkit-contract-ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee.1795412199999',
      ),
    ).toBe(false);
    expect(live.match(recorded, 'btrfs subvolume delete /d')).toBe(false);
  });

  it('answers commands and streams sent side by side in the other order than recorded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-replay-order-'));
    const text = async (r: Readable) => {
      let out = '';
      for await (const c of r) out += String(c);
      return out;
    };
    const cat = { raw: 'cat', name: 'cat' };
    try {
      // Recorded: exec "first", exec "second", stream "alpha", stream "beta" (cat echoes each).
      const recorder = recordSsh(async () => localRunner({}), dir, new Redactor({}));
      const live = await recorder.connect();
      for (const word of ['first', 'second']) await live.exec(cat, { stdin: word });
      for (const word of ['alpha', 'beta']) {
        const p = await live.open(cat);
        const out = text(p.stdout);
        p.stdin.end(word);
        await p.done;
        expect(await out).toBe(word);
      }
      await recorder.finish({ adapter: 'test', endpoint: 'ssh://local' });
      // Replayed the other way round: each is still the answer recorded for its input.
      const ssh = await (await replaySsh(dir)).connect();
      expect((await ssh.exec(cat, { stdin: 'second' })).stdout.toString()).toBe('second');
      expect((await ssh.exec(cat, { stdin: 'first' })).stdout.toString()).toBe('first');
      const [beta, alpha] = [await ssh.open(cat), await ssh.open(cat)];
      const outs = [text(beta.stdout), text(alpha.stdout)];
      beta.stdin.end('beta');
      alpha.stdin.end('alpha');
      await Promise.all([beta.done, alpha.done]);
      expect(await Promise.all(outs)).toEqual(['beta', 'alpha']);
      // An input no recording has is still a mismatch.
      const other = await (await replaySsh(dir)).connect();
      await expect(other.exec(cat, { stdin: 'third' })).rejects.toSatisfy(
        (e: unknown) => (e as { code?: string }).code === 'replay-mismatch',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('fails a stream whose client stops before the recorded input is all there, instead of waiting forever', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drkit-replay-early-'));
    const cat = { raw: 'cat', name: 'cat' };
    try {
      const recorder = recordSsh(async () => localRunner({}), dir, new Redactor({}));
      const live = await (await recorder.connect()).open(cat);
      live.stdout.resume();
      live.stdin.end('the whole input');
      await live.done;
      await recorder.finish({ adapter: 'test', endpoint: 'ssh://local' });
      // A replayed run that fails part-way (say, the store refused it) ends its input early.
      const p = await (await (await replaySsh(dir)).connect()).open(cat);
      p.stdout.resume();
      p.stdin.end('the whole');
      await expect(p.done).rejects.toSatisfy(
        (e: unknown) => (e as { code?: string }).code === 'replay-mismatch' && /input ended at byte 9/.test(String(e)),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
