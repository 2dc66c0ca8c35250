import { createHash, randomUUID } from 'node:crypto';
import { link, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { platform } from 'node:os';
import { processAlive } from '../process-alive.js';
import { DrkitError } from '@drkit/spec';

export interface StoreLock {
  release(): Promise<void>;
}

/**
 * One writer per store. On Linux the lock is an abstract Unix socket named after the
 * store's real path: binding is atomic, and the kernel frees the name when the holder dies
 * however it dies — no stale lock to break, so no race between two breakers (with a pid
 * file, two processes held one store in 10 of 15 trials after a crash). The `lock` file
 * only says who holds it. Elsewhere: a pid file created whole with link(2).
 */
export async function lockStore(root: string, lockFile: string): Promise<StoreLock> {
  if (platform() === 'linux') return socketLock(root, lockFile);
  return fileLock(lockFile);
}

async function socketLock(root: string, lockFile: string): Promise<StoreLock> {
  const name = `\0drkit-store-${createHash('sha256')
    .update(await realpath(root))
    .digest('hex')
    .slice(0, 40)}`;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: name, exclusive: true }, () => resolve());
  }).catch(async (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw busy(await holder(lockFile));
  });
  server.unref(); // the lock must not keep a finished process alive
  await writeFile(lockFile, `${process.pid}\n`, { mode: 0o600 }).catch(() => {});
  return { release: () => closeServer(server, lockFile) };
}

async function closeServer(server: Server, lockFile: string): Promise<void> {
  await rm(lockFile, { force: true });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function fileLock(lockFile: string): Promise<StoreLock> {
  const tmp = `${lockFile}.${randomUUID()}`;
  await writeFile(tmp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(tmp, lockFile); // atomic, and the file is never seen empty
        return { release: () => rm(lockFile, { force: true }) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const pid = await holder(lockFile);
      if (pid !== undefined && processAlive(pid)) throw busy(pid);
      // Break a dead holder's lock only if the file moved aside is the one that was judged.
      const judged = await stat(lockFile).catch(() => undefined);
      const aside = `${lockFile}.stale-${randomUUID()}`;
      if (
        judged &&
        (await rename(lockFile, aside).then(
          () => true,
          () => false,
        ))
      ) {
        const moved = await stat(aside);
        if (moved.ino !== judged.ino) {
          await link(aside, lockFile).catch(() => {});
          throw busy(await holder(lockFile));
        }
        await rm(aside, { force: true });
      }
    }
    throw busy(await holder(lockFile));
  } finally {
    await rm(tmp, { force: true });
  }
}

async function holder(lockFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function busy(pid: number | undefined): DrkitError {
  return new DrkitError('busy', `the store is in use${pid ? ` by process ${pid}` : ''}; one run at a time`);
}
