import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localRunner } from '../../../test/harness/local-runner.js';
import { NO_PWSH_REASON, PWSH } from '../../../test/harness/pwsh-stub-host.js';
import { openPowerShellBlockReader } from '../src/index.js';

// The Windows block helper in REAL pwsh (Add-Type compiles its C# as Windows PowerShell
// would), reading a local file through the same framed protocol as the Linux helper.
if (!PWSH) console.warn(`PowerShell block helper tests skipped: ${NO_PWSH_REASON}`);
const dir = mkdtempSync(join(tmpdir(), 'drkit-psblocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!PWSH)('the PowerShell block helper', () => {
  const MiB = 1 << 20;
  const data = randomBytes(3 * MiB);
  data.fill(0, MiB, 2 * MiB); // one all-zero MiB
  // A path no shell or script should ever interpret: it travels as JSON on stdin.
  const path = join(dir, "disk '$(x)` ‘q’.img");
  writeFileSync(path, data);
  const ssh = localRunner({});

  it('reads ranges byte for byte, says "all zero" without sending zeros, and hashes blocks where the data is', async () => {
    const { channel, proc } = await openPowerShellBlockReader(ssh, path, { exe: PWSH! });
    try {
      const [a, z, b] = await Promise.all([
        channel.read(0, MiB),
        channel.read(MiB, MiB),
        channel.read(2 * MiB + 4096, 8192),
      ]);
      expect(a.equals(data.subarray(0, MiB))).toBe(true);
      expect(z.equals(Buffer.alloc(MiB))).toBe(true);
      expect(b.equals(data.subarray(2 * MiB + 4096, 2 * MiB + 12288))).toBe(true);
      const before = channel.bytesIn;
      await channel.read(MiB, MiB);
      expect(channel.bytesIn - before).toBe(9); // a header, no payload
      const hashes = await channel.hash(MiB - 8192, 16384, 4096);
      const expected = [0, 1, 2, 3].map((i) => {
        const block = data.subarray(MiB - 8192 + i * 4096, MiB - 8192 + (i + 1) * 4096);
        return block.equals(Buffer.alloc(4096)) ? Buffer.alloc(32) : createHash('sha256').update(block).digest();
      });
      expect(hashes.equals(Buffer.concat(expected))).toBe(true);
      await expect(channel.read(3 * MiB - 4096, 8192)).rejects.toThrow(/short read: 4096 of 8192 bytes/);
      expect((await channel.read(0, 4096)).equals(data.subarray(0, 4096))).toBe(true); // still serving after an error
    } finally {
      proc.stdin.end();
      await proc.done.catch(() => {});
    }
  });

  it("compiles its C# once per host and user, then loads the cached DLL from the user's own folder", async () => {
    const home = mkdtempSync(join(tmpdir(), 'drkit-psblocks-home-'));
    const user = localRunner({ XDG_DATA_HOME: home }); // pwsh's LocalApplicationData on Linux
    const readOnce = async () => {
      const { channel, proc } = await openPowerShellBlockReader(user, path, { exe: PWSH! });
      expect((await channel.read(0, 4096)).equals(data.subarray(0, 4096))).toBe(true);
      proc.stdin.end();
      await proc.done.catch(() => {});
    };
    await readOnce();
    const cached = readdirSync(join(home, 'drkit'));
    expect(cached).toEqual([expect.stringMatching(/^blocks-[0-9a-f]{16}\.dll$/)]);
    const compiledAt = statSync(join(home, 'drkit', cached[0]!)).mtimeMs;
    await readOnce();
    expect(readdirSync(join(home, 'drkit'))).toEqual(cached);
    expect(statSync(join(home, 'drkit', cached[0]!)).mtimeMs).toBe(compiledAt); // loaded, not compiled again
    rmSync(home, { recursive: true, force: true });
  });

  it('ends with an error, not data, for a file that is not there', async () => {
    const { channel, proc } = await openPowerShellBlockReader(ssh, join(dir, 'missing.img'), { exe: PWSH! });
    await expect(channel.read(0, 4096)).rejects.toThrow();
    await proc.done.catch(() => {});
  });
  it("writes only when opened for writing, checking each write's CRC-32 before it lands; flushes as its input ends", async () => {
    const target = join(dir, 'writable.img');
    writeFileSync(target, Buffer.alloc(64 * 1024));
    const block = randomBytes(4096);
    const reader = await openPowerShellBlockReader(ssh, target, { exe: PWSH! });
    await expect(reader.channel.write(4096, block)).rejects.toThrow(/bad write at 4096/);
    reader.channel.close();
    await reader.proc.done;
    const writer = await openPowerShellBlockReader(ssh, target, { exe: PWSH!, write: true });
    await writer.channel.write(8192, block);
    expect((await writer.channel.read(8192, 4096)).equals(block)).toBe(true);
    writer.channel.close();
    await writer.proc.done;
    const after = readFileSync(target);
    expect(after.subarray(8192, 12288).equals(block)).toBe(true);
    expect(after.subarray(0, 8192).equals(Buffer.alloc(8192))).toBe(true);
  });
});
