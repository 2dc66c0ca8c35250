import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DrkitError } from '@drkit/spec';
import type { Extent } from '@drkit/spec';
import { readJsonFile, replaceFile } from './site-files.js';

/**
 * Change tracking for the reference adapter, the way a CBT filter driver does it: writes
 * made through `writeTracked` are logged (offset, length). A token is `<generation>:<log
 * length>`. Writes that bypass the log are caught by the disk file's mtime and size, which
 * start a new generation — so old tokens become "unknown" and the next run resyncs,
 * instead of trusting a log that missed data.
 */
const RECORD = 12;

interface LogState {
  generation: string;
  mtimeNs: string;
  size: number;
}

const cbtDir = (machineDir: string) => join(machineDir, '.cbt');
const logPath = (machineDir: string, disk: string) => join(cbtDir(machineDir), `${disk}.log`);
const statePath = (machineDir: string, disk: string) => join(cbtDir(machineDir), `${disk}.state`);

export async function writeTracked(
  machineDir: string,
  disk: string,
  writes: Array<{ offset: number; data: Uint8Array }>,
): Promise<void> {
  const frozen = await readFile(join(machineDir, '.frozen'), 'utf8').then(
    (t) => Number(t),
    () => 0,
  );
  if (frozen > Date.now()) throw new DrkitError('busy', `${machineDir} is frozen for a snapshot`);
  const image = join(machineDir, `${disk}.img`);
  const state = await currentState(machineDir, disk);
  const file = await open(image, 'r+');
  try {
    for (const w of writes) await file.write(w.data, 0, w.data.length, w.offset);
    await file.sync();
  } finally {
    await file.close();
  }
  const records = Buffer.alloc(writes.length * RECORD);
  writes.forEach((w, i) => {
    records.writeBigUInt64LE(BigInt(w.offset), i * RECORD);
    records.writeUInt32LE(w.data.length, i * RECORD + 8);
  });
  const log = await open(logPath(machineDir, disk), 'a');
  await log.write(records);
  await log.sync();
  await log.close();
  const after = await stat(image, { bigint: true });
  await saveState(machineDir, disk, {
    generation: state.generation,
    mtimeNs: String(after.mtimeNs),
    size: Number(after.size),
  });
}

/** The token for the disk as it is now; starts a new generation if untracked writes happened. */
export async function currentToken(machineDir: string, disk: string): Promise<string> {
  const state = await currentState(machineDir, disk);
  const length = await stat(logPath(machineDir, disk)).then(
    (s) => s.size,
    () => 0,
  );
  return `${state.generation}:${length}`;
}

async function currentState(machineDir: string, disk: string): Promise<LogState> {
  await mkdir(cbtDir(machineDir), { recursive: true });
  const image = await stat(join(machineDir, `${disk}.img`), { bigint: true });
  const saved = await readJsonFile<LogState>(statePath(machineDir, disk));
  if (saved && saved.mtimeNs === String(image.mtimeNs) && saved.size === Number(image.size)) return saved;
  // No state, or the file changed behind the log's back: a new generation, an empty log.
  const fresh = { generation: randomUUID(), mtimeNs: String(image.mtimeNs), size: Number(image.size) };
  await writeFile(logPath(machineDir, disk), '');
  await saveState(machineDir, disk, fresh);
  return fresh;
}

async function saveState(machineDir: string, disk: string, state: LogState): Promise<void> {
  await replaceFile(statePath(machineDir, disk), JSON.stringify(state));
}

/** Extents written between two tokens of the same generation, or why they cannot be known. */
export async function changesBetween(
  machineDir: string,
  disk: string,
  from: string,
  to: string,
): Promise<Extent[] | string> {
  const [fromGen, fromPos] = from.split(':');
  const [toGen, toPos] = to.split(':');
  if (!fromGen || fromGen !== toGen) return 'change log restarted (untracked writes, or a token from elsewhere)';
  const start = Number(fromPos);
  const end = Number(toPos);
  if (!(start <= end)) return 'change token is newer than the snapshot';
  const buf = Buffer.alloc(end - start);
  const log = await open(logPath(machineDir, disk), 'r');
  try {
    await log.read(buf, 0, buf.length, start);
  } finally {
    await log.close();
  }
  const out: Extent[] = [];
  for (let o = 0; o + RECORD <= buf.length; o += RECORD)
    out.push({ offset: Number(buf.readBigUInt64LE(o)), length: buf.readUInt32LE(o + 8) });
  return out;
}
