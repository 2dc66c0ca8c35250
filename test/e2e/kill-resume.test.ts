import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { writeTracked, type PointManifest } from '@drkit/core';

const BIN = new URL('../../packages/cli/bin/drkit.js', import.meta.url).pathname;
const MiB = 1024 * 1024;

const drkit = (args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { maxBuffer: 1 << 26 });

/** Starts `drkit replicate` and SIGKILLs it after `ms`; resolves whether it was killed or finished first. */
function replicateAndKill(args: string[], ms: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`drkit replicate exited ${code}`));
    });
  });
}

describe('replication killed at random moments (SIGKILL), then resumed', () => {
  it('restores every listed point byte-identical to the source at that point, and claims no point that is not there', async () => {
    const site = await mkdtemp(join(tmpdir(), 'drkit-kill-site-'));
    const store = join(await mkdtemp(join(tmpdir(), 'drkit-kill-store-')), 's');
    const size = 48 * MiB;
    await mkdir(join(site, 'vm'));
    await writeFile(join(site, 'vm', 'os.img'), randomBytes(size));
    const args = ['replicate', `file://${site}`, '--target', `dir:${store}`, '--max-rate', String(24 * MiB)];
    const truth = new Map<string, Buffer>();
    let kills = 0;
    for (let round = 0; round < 5; round++) {
      if (round > 0) {
        const writes = Array.from({ length: 300 }, () => ({
          offset: randomInt(0, size / 4096) * 4096,
          data: randomBytes(4096),
        }));
        await writeTracked(join(site, 'vm'), 'os', writes);
      }
      const image = await readFile(join(site, 'vm', 'os.img'));
      // The first round copies the whole disk (~2 s at the rate limit); later ones are deltas.
      if ((await replicateAndKill(args, randomInt(300, round === 0 ? 1800 : 900))) === 'killed') kills++;
      await drkit(args);
      const points = JSON.parse((await drkit(['points', `dir:${store}`, '--json'])).stdout) as PointManifest[];
      for (const p of points) if (!truth.has(p.id)) truth.set(p.id, image);
      expect(points.map((p) => p.id).every((id) => truth.has(id))).toBe(true);
    }
    expect(kills).toBeGreaterThan(0);
    const verify = await drkit(['verify', `dir:${store}`, '--json']);
    expect((JSON.parse(verify.stdout) as Array<{ ok: boolean }>).every((v) => v.ok)).toBe(true);
    for (const [id, image] of truth) {
      const out = await mkdtemp(join(tmpdir(), 'drkit-kill-out-'));
      await drkit(['restore', `dir:${store}`, id, '--out', out]);
      expect((await readFile(join(out, 'vm', 'os.img'))).equals(image), `point ${id}`).toBe(true);
    }
  }, 180_000);
});
