import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DrkitError } from '@drkit/spec';
import { writeFileAtomic } from './atomic-file.js';

/**
 * The store's JSON files (point manifests, the run intent, replica seals) carry a SHA-256
 * of their own content as a last `seal` field, so a flipped byte that still parses — a digit
 * of a disk size, a letter of a key — reads as damage, never as a different truth. Files
 * written before seals existed are read as they are.
 */
export async function writeSealedJson(path: string, value: object): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ ...value, seal: sealOf(value) }, null, 2)}\n`);
}

export type SealedRead = { ok: true; value: unknown } | { ok: false; reason: string };

/** Reads a sealed file; damage is a result (`ok: false` with the reason), a missing file throws ENOENT. */
export async function readSealedJson(path: string): Promise<SealedRead> {
  const text = await readFile(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, reason: 'not a JSON object' };
  const { seal, ...rest } = parsed as Record<string, unknown>;
  if (seal === undefined) return { ok: true, value: parsed };
  if (seal !== sealOf(rest)) return { ok: false, reason: 'its content does not match its seal (changed behind drkit)' };
  return { ok: true, value: rest };
}

/** Reads a sealed file that must be intact: damage is an `integrity` error naming the file. */
export async function readIntactJson(path: string): Promise<unknown> {
  const read = await readSealedJson(path);
  if (!read.ok) throw new DrkitError('integrity', `${path} is damaged: ${read.reason}`);
  return read.value;
}

function sealOf(value: object): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}
