import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTracked, type PointManifest } from '@drkit/core';
import { startAzurite, type Azurite } from '../harness/azurite.js';

const BIN = new URL('../../packages/cli/bin/drkit.js', import.meta.url).pathname;
const MiB = 1024 * 1024;

const drkit = async (args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

/**
 * Starts `drkit replicate`; once it says it is replicating (the store is locked, its run
 * begun), waits `ms` and runs `interrupt`. Resolves with how the process ended and whether
 * the interruption came while it was replicating.
 */
function replicateWith(args: string[], ms: number, interrupt: (child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; midRun: boolean }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let timer: NodeJS.Timeout | undefined;
    let midRun = false;
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (!timer && /drkit: replicate /.test(err))
        timer = setTimeout(() => {
          midRun = child.exitCode === null;
          interrupt(child);
        }, ms);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, midRun });
    });
  });
}

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe('replication to Azure (Azurite) killed at random moments, and Azurite killed mid-run', () => {
  it('resumes; a dead run’s lock is taken over at once; every listed point restores byte-identical, and none is listed that is not there', async () => {
    const site = await mkdtemp(join(tmpdir(), 'drkit-azkill-site-'));
    const size = 12 * MiB;
    await mkdir(join(site, 'vm'));
    const disk = Buffer.alloc(size);
    for (let o = 0; o < size; o += 128 * 1024) randomBytes(96 * 1024).copy(disk, o);
    await writeFile(join(site, 'vm', 'os.img'), disk);
    const target = `azure://${azurite.account}/kill-resume/s`;
    const auth = ['--connection-string-file', join(azurite.secrets, 'connection-string')];
    // 2 MiB/s of source reads: the initial copy takes ~6 s, a delta of 300 blocks ~0.6 s.
    const args = ['replicate', `file://${site}`, '--target', target, ...auth, '--max-rate', String(2 * MiB)];
    const truth = new Map<string, Buffer>();
    let kills = 0;
    let resumed = 0;
    for (let round = 0; round < 4; round++) {
      if (round > 0) {
        const writes = Array.from({ length: 300 }, () => ({
          offset: randomInt(0, size / 4096) * 4096,
          data: randomBytes(4096),
        }));
        await writeTracked(join(site, 'vm'), 'os', writes);
      }
      const image = await readFile(join(site, 'vm', 'os.img'));
      const ms = randomInt(0, round === 0 ? 5000 : 500);
      let killedHolder = false;
      if (round === 2) {
        // The storage service itself dies mid-run: the CLI fails after its retries; the next run resumes.
        const ended = await replicateWith(args, ms, () => void azurite.kill());
        if (ended.code !== 0) kills++;
        await azurite.restart();
      } else {
        const ended = await replicateWith(args, ms, (child) => child.kill('SIGKILL'));
        if (ended.signal === 'SIGKILL') kills++;
        killedHolder = ended.signal === 'SIGKILL' && ended.midRun;
      }
      const after = await drkit([...args, '--json']);
      expect(after.code, after.stderr).toBe(0);
      if (JSON.parse(after.stdout).resumed) resumed++;
      // Killed while holding the lock: the next run takes it over from the dead process, never waits it out.
      if (killedHolder) expect(after.stderr).toMatch(/took over the store's lock from process \d+ of this host/);
      const listed = await drkit(['points', target, ...auth, '--json']);
      const points = JSON.parse(listed.stdout) as PointManifest[];
      for (const p of points) if (!truth.has(p.id)) truth.set(p.id, image);
      expect(points.map((p) => p.id).every((id) => truth.has(id))).toBe(true);
    }
    expect(kills).toBeGreaterThan(0);
    expect(resumed).toBeGreaterThan(0);
    // Each restore checks the point's checksums and is compared byte for byte.
    for (const [id, image] of truth) {
      const out = await mkdtemp(join(tmpdir(), 'drkit-azkill-out-'));
      expect((await drkit(['restore', target, id, '--out', out, ...auth])).code).toBe(0);
      expect((await readFile(join(out, 'vm', 'os.img'))).equals(image), `point ${id}`).toBe(true);
    }
  }, 300_000);
});
