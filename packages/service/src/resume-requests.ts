import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `drkit resume <group>` from another shell: a request file in the state folder, picked up
 * by the running service within a second (no control port to secure).
 */
export async function requestResume(stateDir: string, group: string): Promise<void> {
  await mkdir(join(stateDir, 'requests'), { recursive: true });
  await writeFile(join(stateDir, 'requests', `resume.${group}`), `${new Date().toISOString()}\n`);
}

/** Polls for resume requests; each is handed to `resume` once and removed. Returns the stop function. */
export function watchResumeRequests(
  stateDir: string,
  resume: (group: string) => Promise<void>,
  intervalMs = 1000,
): () => void {
  const dir = join(stateDir, 'requests');
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (!name.startsWith('resume.')) continue;
        await rm(join(dir, name), { force: true });
        await resume(name.slice('resume.'.length)).catch(() => {});
      }
    } finally {
      busy = false;
    }
  }, intervalMs);
  // Not unref'd: a service whose groups all wait for an operator has no other timer, and must stay up.
  return () => clearInterval(timer);
}
