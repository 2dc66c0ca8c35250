import { createHash } from 'node:crypto';
import type { PageBlobClient } from '@azure/storage-blob';
import { roundUpToMiB, vhdFooter, VHD_FOOTER_BYTES } from '@drkit/core';

/**
 * Makes a replica page blob a fixed VHD of `sizeBytes`: created or resized to the size
 * rounded up to 1 MiB plus the footer, the footer written at its end, and every byte past
 * the disk reading as zeros — including an old footer that now falls inside a grown disk,
 * which a resync would otherwise take for data that matches nothing. `current` is the
 * blob's length now (-1: none). The footer's unique id is derived from the disk key, so
 * every snapshot of one disk names the same disk.
 */
export async function shapeReplica(
  blob: PageBlobClient,
  key: string,
  current: number,
  sizeBytes: number,
): Promise<void> {
  const rounded = roundUpToMiB(sizeBytes);
  const length = rounded + VHD_FOOTER_BYTES;
  if (current === length) return;
  if (current < 0) await blob.create(length);
  else {
    await blob.resize(length);
    const oldFooter = current - VHD_FOOTER_BYTES;
    if (oldFooter < rounded) await blob.clearPages(oldFooter, VHD_FOOTER_BYTES);
    const end = Math.ceil(sizeBytes / 512) * 512;
    if (rounded > end) await blob.clearPages(end, rounded - end);
  }
  const id = createHash('sha256').update(key).digest().subarray(0, 16);
  await blob.uploadPages(vhdFooter({ sizeBytes: rounded, uniqueId: id }), rounded, VHD_FOOTER_BYTES);
}
