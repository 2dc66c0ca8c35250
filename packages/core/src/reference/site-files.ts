import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * The reference site's own state files (snapshot metadata, change-tracking state) stand for a
 * platform's, which a client killed mid-call never tears: each is replaced whole (written
 * aside, then renamed), and a file torn by a drkit from before reads as absent.
 */
export async function replaceFile(path: string, text: string): Promise<void> {
  const aside = `${path}.tmp-${process.pid}`;
  await writeFile(aside, text);
  await rename(aside, path);
}

/** The file's JSON, or undefined when it is missing or not whole. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
