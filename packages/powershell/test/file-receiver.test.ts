import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RemoteCommand } from '@drkit/ssh';
import { localRunner } from '../../../test/harness/local-runner.js';
import { NO_PWSH_REASON, PWSH } from '../../../test/harness/pwsh-stub-host.js';
import { uploadFileOverSsh } from '../src/index.js';

// The Windows file receiver in REAL pwsh, fed through the same stream an SSH channel gives.
if (!PWSH) console.warn(`PowerShell file receiver tests skipped: ${NO_PWSH_REASON}`);
const dir = mkdtempSync(join(tmpdir(), 'drkit-psupload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1 << 20;

async function* chunksOf(data: Buffer, size: number) {
  for (let o = 0; o < data.length; o += size) yield data.subarray(o, o + size);
}

describe.skipIf(!PWSH)('uploading a file to a Windows host over SSH', () => {
  const ssh = localRunner({});

  it('writes the file byte for byte, never sends a zero MiB, and appends the trailer', async () => {
    const data = Buffer.alloc(9 * MiB);
    randomBytes(MiB).copy(data, 0);
    randomBytes(4096).copy(data, 5 * MiB + 100); // one MiB with a little data goes whole
    const trailer = Buffer.from('footer!');
    // A name no shell should interpret: it travels as JSON on stdin.
    const file = "disk '$(x)` ‘q’.vhd";
    const { bytesSent } = await uploadFileOverSsh(ssh, {
      dir: join(dir, 'a', 'b'),
      file,
      length: data.length + trailer.length,
      chunks: chunksOf(data, 4 * MiB),
      trailer,
      exe: PWSH!,
    });
    expect(bytesSent).toBe(2 * MiB + trailer.length);
    expect(readFileSync(join(dir, 'a', 'b', file)).equals(Buffer.concat([data, trailer]))).toBe(true);
  }, 60_000);

  it('refuses to write over a file that exists, and leaves it as it was', async () => {
    const path = join(dir, 'taken.vhd');
    writeFileSync(path, 'keep me');
    await expect(
      uploadFileOverSsh(ssh, {
        dir,
        file: 'taken.vhd',
        length: 4,
        chunks: chunksOf(Buffer.from('data'), 4),
        exe: PWSH!,
      }),
    ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/taken\.vhd already exists/) });
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  }, 60_000);

  it('fails when what the host wrote is not what was sent', async () => {
    // A host side that drops a frame's last byte: the digests disagree and the upload fails.
    const lossy = {
      ...ssh,
      open: async (command: RemoteCommand) => {
        const proc = await ssh.open(command);
        const write = proc.stdin.write.bind(proc.stdin);
        let frames = 0;
        proc.stdin.write = ((chunk: Buffer, ...rest: never[]) =>
          write(++frames === 3 ? Buffer.from(chunk).fill(1, 0, 1) : chunk, ...rest)) as never;
        return proc;
      },
    };
    await expect(
      uploadFileOverSsh(lossy, {
        dir,
        file: 'lossy.bin',
        length: MiB,
        chunks: chunksOf(randomBytes(MiB), MiB),
        exe: PWSH!,
      }),
    ).rejects.toMatchObject({ code: 'protocol', message: expect.stringMatching(/the host wrote .* drkit sent/) });
    expect(existsSync(join(dir, 'lossy.bin'))).toBe(true); // the caller removes what it made (the VM's folder)
  }, 60_000);
});
