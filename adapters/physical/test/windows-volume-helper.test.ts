import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_PWSH_REASON, PWSH } from '../../../test/harness/pwsh-stub-host.js';
import { LOAD_VOLUME_HELPER, VOLUME_IO_CS } from '../src/windows-volume-helper.js';
import { clustersInUse } from '../src/windows-shadow-source.js';

const STUB = new URL('../../../test/harness/pwsh-stub/windows-server.ps1', import.meta.url).pathname;

/** Runs PowerShell in real pwsh with the stub Windows server's DeviceIoControl stand-in loaded. */
function pwsh(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'drkit-volume-helper-'));
  return execFileSync(PWSH!, ['-NoProfile', '-NonInteractive', '-Command', `. '${STUB}'\n${script}`], {
    encoding: 'utf8',
    env: { ...process.env, DRKIT_STUB_STATE: join(dir, 'state.json'), DRKIT_STUB_DISKS: dir },
  });
}

/** A bitmap file as the stub serves it: the cluster count, then one bit per cluster. */
function bitmapFile(clusters: number, used: Array<[number, number]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'drkit-bitmap-'));
  const device = join(dir, 'HarddiskVolumeShadowCopy1');
  writeFileSync(device, Buffer.alloc(clusters * 4096 + 512));
  const map = Buffer.alloc(8 + Math.ceil(clusters / 8));
  map.writeBigInt64LE(BigInt(clusters));
  for (const [first, count] of used) for (let c = first; c < first + count; c++) map[8 + (c >> 3)]! |= 1 << (c & 7);
  writeFileSync(`${device}.bitmap`, map);
  return device;
}

describe.skipIf(!PWSH)('the volume helper (C# in real pwsh; DeviceIoControl stood in for)', () => {
  it('turns a volume bitmap into runs of used clusters, across buffers ERROR_MORE_DATA cuts', () => {
    // Runs that start and end mid-byte, whole 0xFF and 0x00 bytes, one reaching the last cluster.
    const used: Array<[number, number]> = [
      [0, 3],
      [7, 1],
      [13, 40],
      [100, 1],
      [160, 64],
      [990, 10],
    ];
    const device = bitmapFile(1000, used);
    const out = pwsh(`${LOAD_VOLUME_HELPER}
$c = 0L; $whole = [DrkitVolume]::Runs('${device}', [ref]$c)
$d = 0L; $cut = [DrkitVolume]::Runs('${device}', 3, [ref]$d)
@{ whole = $whole; cut = $cut; clusters = $c; clustersCut = $d; length = [DrkitVolume]::Length('${device}') } | ConvertTo-Json -Compress`);
    const r = JSON.parse(out) as {
      whole: number[];
      cut: number[];
      clusters: number;
      clustersCut: number;
      length: number;
    };
    expect(r.whole).toEqual(used.flat());
    // Three bytes of bitmap per call: runs cross the cuts, each call starts where the last stopped.
    expect(r.cut).toEqual(used.flat());
    expect([r.clusters, r.clustersCut]).toEqual([1000, 1000]);
    expect(r.length).toBe(1000 * 4096 + 512);
  });

  it('compiles the Windows side too (kernel32 is only bound when called)', () => {
    const out = pwsh(`Add-Type -TypeDefinition @'
${VOLUME_IO_CS.replace('class DrkitVolumeIo', 'class DrkitVolumeIoOnWindows')}
'@
[DrkitVolumeIoOnWindows].GetMethod('Control').GetParameters().Count`);
    expect(out.trim()).toBe('5');
  });
});

describe('the runs a host sends, as extents', () => {
  const packed = (pairs: number[]) => {
    const b = Buffer.alloc(pairs.length * 8);
    for (const [i, v] of pairs.entries()) b.writeBigInt64LE(BigInt(v), i * 8);
    return b.toString('base64');
  };

  it('adds the bytes past the last cluster (NTFS keeps its boot sector copy there)', () => {
    const extents = clustersInUse(
      { clusterBytes: '4096', clusters: '10', runs: packed([0, 2, 5, 1]) },
      10 * 4096 + 512,
      'd',
    );
    expect(extents).toEqual([
      { offset: 0, length: 8192 },
      { offset: 5 * 4096, length: 4096 },
      { offset: 10 * 4096, length: 512 },
    ]);
  });

  it('refuses runs outside the volume and bitmaps larger than it', () => {
    expect(() => clustersInUse({ clusterBytes: '4096', clusters: '10', runs: packed([8, 3]) }, 40960, 'd')).toThrow(
      /outside the volume/,
    );
    expect(() => clustersInUse({ clusterBytes: '4096', clusters: '11', runs: '' }, 40960, 'd')).toThrow(/overrun/);
    expect(() => clustersInUse({ clusterBytes: '4000', clusters: '10', runs: '' }, 40960, 'd')).toThrow(/malformed/);
  });
});

describe.skipIf(PWSH)('the volume helper', () => {
  it.skip(`needs pwsh: ${NO_PWSH_REASON}`, () => {});
});
