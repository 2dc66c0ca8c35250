// A second process for the lock test: opens the store at the moment given, prints what it
// got, and — if it holds the store — keeps it until its stdin ends. Run with tsx.
import { openDirStore } from '../src/index.js';

const [path, startAt] = process.argv.slice(2) as [string, string];
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
try {
  const store = await openDirStore(path);
  process.stdout.write('held\n');
  process.stdin.resume();
  await new Promise((r) => process.stdin.once('end', r));
  await store.close();
} catch (error) {
  process.stdout.write(`${(error as { code?: string }).code ?? 'error'}\n`);
}
