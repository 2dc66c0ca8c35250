import type { FileHandle } from 'node:fs/promises';
import { DrkitError } from '@drkit/spec';

/**
 * Writes all of `data` at `position`, or fails. A write(2) on a filling file system may
 * write part of a buffer and report it (Node's FileHandle.write does not loop): an undo
 * record cut short and taken as written is how a full disk once destroyed a committed point.
 */
export async function writeFully(file: FileHandle, data: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < data.length) {
    let written: number;
    try {
      ({ bytesWritten: written } = await file.write(data, done, data.length - done, position + done));
    } catch (error) {
      throw storeIoError(error, path);
    }
    if (written <= 0)
      throw new DrkitError(
        'no-space',
        `${path}: the file system accepted no more bytes (${done} of ${data.length} written)`,
      );
    done += written;
  }
}

/** A file-system failure in the store as a typed error that names the file. */
export function storeIoError(error: unknown, path: string): unknown {
  if (DrkitError.isInstance(error)) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new DrkitError('no-space', `${path}: no space left on the store's file system`, {
        cause: error,
        fault: code,
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new DrkitError(
        'permission-denied',
        `${path}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}`,
        { cause: error, fault: code },
      );
    case 'ENOENT':
      return new DrkitError('integrity', `${path} is missing`, { cause: error, fault: code });
    default:
      return error;
  }
}
