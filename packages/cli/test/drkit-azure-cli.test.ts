import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContainerClient,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  ContainerSASPermissions,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../../test/harness/azurite.js';
import { drkit } from './run-drkit.js';
import { hasQemuImg } from '../../../test/harness/qemu-img.js';

const MiB = 2 ** 20;
let azurite: Azurite;
let site: string;
let work: string;

beforeAll(async () => {
  azurite = await startAzurite();
  work = await mkdtemp(join(tmpdir(), 'drkit-azcli-'));
  site = join(work, 'site');
  await mkdir(join(site, 'web'), { recursive: true });
  const disk = Buffer.alloc(3 * MiB + 64 * 1024);
  for (let o = 0; o < disk.length; o += 256 * 1024) randomBytes(128 * 1024).copy(disk, o);
  await writeFile(join(site, 'web', 'os.img'), disk);
});
afterAll(async () => {
  await azurite?.stop();
});

const location = (container: string) => `azure://${azurite.account}/${container}/site-a`;
const auth = () => ['--connection-string-file', join(azurite.secrets, 'connection-string')];
const container = () =>
  new ContainerClient(`${azurite.endpoint}/${'x'}`, new StorageSharedKeyCredential(azurite.account, azurite.key));
const blobsOf = async (name: string) => {
  const c = new ContainerClient(
    `${azurite.endpoint}/${name}`,
    new StorageSharedKeyCredential(azurite.account, azurite.key),
  );
  if (!(await c.exists())) return [];
  const out: string[] = [];
  for await (const b of c.listBlobsFlat()) out.push(b.name);
  return out;
};

describe('drkit with an azure:// target (Azurite)', () => {
  it('replicates, lists, verifies and restores a point as raw and as a fixed VHD', async () => {
    const target = location('cli-main');
    const first = await drkit(['replicate', `file://${site}`, '--target', target, ...auth(), '--json']);
    expect(first.code).toBe(0);
    expect(first.stderr).not.toMatch(/warning/i);
    const point = JSON.parse(first.stdout);
    const points = await drkit(['points', target, ...auth(), '--json']);
    expect(JSON.parse(points.stdout).map((p: { id: string }) => p.id)).toEqual([point.id]);
    expect((await drkit(['verify', target, ...auth()])).code).toBe(0);

    const raw = join(work, 'raw');
    expect((await drkit(['restore', target, point.id, '--out', raw, ...auth()])).code).toBe(0);
    const source = await readFile(join(site, 'web', 'os.img'));
    expect((await readFile(join(raw, 'web', 'os.img'))).equals(source)).toBe(true);

    const vhd = join(work, 'vhd');
    const restored = await drkit([
      'restore',
      target,
      point.id.slice(0, 8),
      '--out',
      vhd,
      '--format',
      'vhd',
      ...auth(),
      '--json',
    ]);
    expect(restored.code).toBe(0);
    const file = JSON.parse(restored.stdout).files[0].path as string;
    expect(file.endsWith('os.vhd')).toBe(true);
    const bytes = await readFile(file);
    expect(bytes.subarray(0, source.length).equals(source)).toBe(true);
    expect(bytes.subarray(bytes.length - 512, bytes.length - 504).toString()).toBe('conectix');
    if (hasQemuImg) execFileSync('qemu-img', ['compare', '-f', 'vpc', '-F', 'raw', file, join(site, 'web', 'os.img')]);
  });

  it('keeps the base blob a managed-disk-ready fixed VHD: size rounded to 1 MiB plus the footer', async () => {
    const target = location('cli-layout');
    expect((await drkit(['replicate', `file://${site}`, '--target', target, ...auth()])).code).toBe(0);
    const c = new ContainerClient(
      `${azurite.endpoint}/cli-layout`,
      new StorageSharedKeyCredential(azurite.account, azurite.key),
    );
    const vhds = (await blobsOf('cli-layout')).filter((n) => n.endsWith('/disk.vhd'));
    expect(vhds).toHaveLength(1);
    const blob = c.getPageBlobClient(vhds[0]!);
    const size = (await blob.getProperties()).contentLength!;
    expect(size).toBe(4 * MiB + 512); // 3 MiB + 64 KiB rounded up to 4 MiB, then the footer
    const footer = await blob.downloadToBuffer(size - 512, 512);
    expect(footer.subarray(0, 8).toString()).toBe('conectix');
    expect(footer.readUInt32BE(60)).toBe(2);
    expect(Number(footer.readBigUInt64BE(48))).toBe(4 * MiB);
  });

  it('refuses bad input in one line with the right exit code, writing nothing', async () => {
    const run = (target: string, extra: string[]) =>
      drkit(['replicate', `file://${site}`, '--target', target, ...extra]);
    const badName = await run(`azure://${azurite.account}/Bad_Name`, auth());
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/Azure refuses the container name "Bad_Name"/);
    expect(badName.stderr.trim().split('\n')).toHaveLength(1);

    const none = await run(location('cli-nocred'), []);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no credential for azure:\/\/.*--account-key-file/);

    await writeFile(join(work, 'wrong-key'), randomBytes(64).toString('base64'));
    const wrong = await run(location('cli-wrongkey'), [
      '--account-key-file',
      join(work, 'wrong-key'),
      '--blob-endpoint',
      azurite.endpoint,
    ]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/refused the credential/);
    expect(wrong.stderr).not.toContain(await readFile(join(work, 'wrong-key'), 'utf8'));

    const expired = generateBlobSASQueryParameters(
      {
        containerName: 'cli-expired',
        permissions: ContainerSASPermissions.parse('racwdl'),
        startsOn: new Date(Date.now() - 7_200_000),
        expiresOn: new Date(Date.now() - 3_600_000),
      },
      new StorageSharedKeyCredential(azurite.account, azurite.key),
    ).toString();
    await writeFile(join(work, 'expired-sas'), expired);
    const sas = await run(location('cli-expired'), [
      '--sas-file',
      join(work, 'expired-sas'),
      '--blob-endpoint',
      azurite.endpoint,
    ]);
    expect(sas.code).toBe(3);
    expect(sas.stderr).not.toContain(expired.match(/sig=([^&]+)/)![1]!);

    const dead = await run(location('cli-dead'), [
      '--account-key-file',
      join(azurite.secrets, 'key'),
      '--blob-endpoint',
      `http://127.0.0.1:9/${azurite.account}`,
    ]);
    expect(dead.code).toBe(5);
    expect(dead.stderr).toMatch(/does not answer/);

    for (const name of ['cli-nocred', 'cli-wrongkey', 'cli-expired', 'cli-dead'])
      expect(await blobsOf(name)).toEqual([]);
    expect(await blobsOf('bad-name')).toEqual([]);
    void container;
  });

  it('a second writer waits for the lock, then says busy; the store stays whole', async () => {
    const target = location('cli-busy');
    expect((await drkit(['replicate', `file://${site}`, '--target', target, ...auth()])).code).toBe(0);
    const c = new ContainerClient(
      `${azurite.endpoint}/cli-busy`,
      new StorageSharedKeyCredential(azurite.account, azurite.key),
    );
    const lease = c.getBlockBlobClient('site-a/lock').getBlobLeaseClient();
    await lease.acquireLease(60);
    try {
      const started = Date.now();
      const busy = await drkit(['replicate', `file://${site}`, '--target', target, ...auth(), '--lock-wait', '2']);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/the store is busy: another drkit run holds its lock/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    } finally {
      await lease.releaseLease();
    }
    const points = JSON.parse((await drkit(['points', target, ...auth(), '--json'])).stdout);
    expect(points).toHaveLength(1);
    expect((await drkit(['verify', target, ...auth()])).code).toBe(0);
  });

  it('two replications into one store at once: one waits for the other, or says busy; the store stays whole', async () => {
    const target = location('cli-race');
    const both = await Promise.all([
      drkit(['replicate', `file://${site}`, '--target', target, ...auth(), '--json', '--lock-wait', '0']),
      drkit(['replicate', `file://${site}`, '--target', target, ...auth(), '--json', '--lock-wait', '0']),
    ]);
    const ok = both.filter((r) => r.code === 0);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of both.filter((x) => x.code !== 0)) expect(r.stderr).toMatch(/the store is busy/);
    const points = JSON.parse((await drkit(['points', target, ...auth(), '--json'])).stdout) as Array<{ id: string }>;
    expect(points.map((p) => p.id).sort()).toEqual(ok.map((r) => JSON.parse(r.stdout).id).sort());
    expect((await drkit(['verify', target, ...auth()])).code).toBe(0);
  });

  it('prune keeps the newest points and deletes the snapshots of the others', async () => {
    const target = location('cli-prune');
    for (let i = 0; i < 3; i++)
      expect((await drkit(['replicate', `file://${site}`, '--target', target, ...auth()])).code).toBe(0);
    const c = new ContainerClient(
      `${azurite.endpoint}/cli-prune`,
      new StorageSharedKeyCredential(azurite.account, azurite.key),
    );
    const snapshots = async () => {
      const out: string[] = [];
      for await (const b of c.listBlobsFlat({ includeSnapshots: true })) if (b.snapshot) out.push(b.snapshot);
      return out.sort();
    };
    const before = await snapshots();
    expect(before).toHaveLength(3);
    const all = JSON.parse((await drkit(['points', target, ...auth(), '--json'])).stdout) as Array<{ id: string }>;
    const pruned = await drkit(['points', target, ...auth(), '--prune', '--keep', '1', '--json']);
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout).map((p: { id: string }) => p.id)).toEqual([all[2]!.id]);
    expect(await snapshots()).toEqual([before[2]]);
    expect((await drkit(['verify', target, ...auth()])).code).toBe(0);
    void readdir;
  });
});

describe('drkit with an azure:// target over HTTPS (Azurite, throwaway certificate)', () => {
  let secure: Azurite;
  beforeAll(async () => {
    secure = await startAzurite({ https: true });
  });
  afterAll(async () => {
    await secure?.stop();
  });

  it('verifies the certificate by default, trusts a CA file, pins a thumbprint', async () => {
    const target = `azure://${secure.account}/tls-check/site`;
    const auth = ['--connection-string-file', join(secure.secrets, 'connection-string')];
    const base = ['replicate', `file://${site}`, '--target', target, ...auth];
    const untrusted = await drkit(base);
    expect(untrusted.code).toBe(4);
    expect(untrusted.stderr).toMatch(/certificate is not trusted/);

    const wrongPin = await drkit([...base, '--blob-thumbprint', 'AA'.repeat(32)]);
    expect(wrongPin.code).toBe(4);
    expect(wrongPin.stderr).toMatch(/does not match the pinned one/);

    // Neither refused attempt wrote anything: with the right trust, there is no store yet.
    await writeFile(join(work, 'azurite-ca.pem'), secure.cert!);
    const ca = ['--blob-ca-file', join(work, 'azurite-ca.pem')];
    expect((await drkit(['points', target, ...auth, ...ca])).stderr).toMatch(/is not a drkit store/);

    expect((await drkit([...base, ...ca])).code).toBe(0);
    const pinned = await drkit(['points', target, ...auth, '--blob-thumbprint', secure.thumbprint!, '--json']);
    expect(pinned.code).toBe(0);
    expect(JSON.parse(pinned.stdout)).toHaveLength(1);
  });
});

describe('drkit recover into Azure (storage side)', () => {
  it('copies each disk of the point server-side into a checked, managed-disk-ready VHD and prints the az commands', async () => {
    const target = location('cli-recover');
    const made = await drkit(['replicate', `file://${site}`, '--target', target, ...auth(), '--json']);
    const point = JSON.parse(made.stdout);
    const recovered = await drkit(['recover', target, point.id, ...auth(), '--json']);
    expect(recovered.code, recovered.stderr).toBe(0);
    const staged = JSON.parse(recovered.stdout);
    expect(staged.disks).toHaveLength(1);
    expect(staged.disks[0].location).toMatch(new RegExp(`/cli-recover/site-a/recovered/${point.id}/web/os\\.vhd$`));
    expect(staged.next.join('\n')).toMatch(/az disk create .* --source http.*os\.vhd/);
    expect(staged.next.join('\n')).toMatch(/az vm create .* --attach-os-disk web-os/);
    expect(staged.notes.join()).toMatch(/Azure Resource Manager/);
    const c = new ContainerClient(
      `${azurite.endpoint}/cli-recover`,
      new StorageSharedKeyCredential(azurite.account, azurite.key),
    );
    const blob = c.getPageBlobClient(`site-a/recovered/${point.id}/web/os.vhd`);
    const size = (await blob.getProperties()).contentLength!;
    const source = await readFile(join(site, 'web', 'os.img'));
    expect((await blob.downloadToBuffer(0, source.length)).equals(source)).toBe(true);
    expect((await blob.downloadToBuffer(size - 512, 512)).subarray(0, 8).toString()).toBe('conectix');
    const local = JSON.parse(
      (await drkit(['replicate', `file://${site}`, '--target', `dir:${work}/store`, '--json'])).stdout,
    );
    const refused = await drkit(['recover', `dir:${work}/store`, local.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/has no platform to fail over into; drkit restore writes its images/);
  });
});
