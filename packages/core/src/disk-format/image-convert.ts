import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { DrkitError } from '@drkit/spec';

/** Formats drkit writes through qemu-img (Debian's qemu-utils), and its name for each. */
export const CONVERTED_FORMATS = { vhdx: 'vhdx', vmdk: 'vmdk', qcow2: 'qcow2' } as const;
export type ConvertedFormat = keyof typeof CONVERTED_FORMATS;

/**
 * Converts a checked raw image into `format` with qemu-img — the well-kept converter the
 * hypervisors' own tools agree with — into `to` (a new file), then removes the raw image.
 * VMDK is written stream-optimized (what ImportVApp and OVF tools take); the others dynamic.
 */
export async function convertImage(
  from: string,
  to: string,
  format: ConvertedFormat,
  signal?: AbortSignal,
): Promise<void> {
  const options = format === 'vmdk' ? ['-o', 'subformat=streamOptimized'] : [];
  try {
    await promisify(execFile)(
      'qemu-img',
      ['convert', '-q', '-f', 'raw', '-O', CONVERTED_FORMATS[format], ...options, from, to],
      {
        ...(signal && { signal }),
      },
    );
  } catch (error) {
    await rm(to, { force: true });
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new DrkitError(
        'missing-command',
        `--format ${format} needs qemu-img (Debian: apt-get install qemu-utils)`,
        { cause: error },
      );
    if (e.name === 'AbortError') throw new DrkitError('aborted', 'restore aborted', { cause: error });
    throw new DrkitError(
      'platform',
      `qemu-img could not write ${format}: ${(e.stderr ?? e.message).trim().split('\n')[0]}`,
      {
        cause: error,
      },
    );
  } finally {
    await rm(from, { force: true });
  }
}
