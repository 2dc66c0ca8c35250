// A second process for the lock test: opens the store at the moment given, holds it a while,
// and prints what it got. Run with tsx.
import { openDirStore } from '../src/index.js';

const [path, startAt, holdMs] = process.argv.slice(2) as [string, string, string];
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
try {
  const store = await openDirStore(path);
  process.stdout.write('held\n');
  await new Promise((r) => setTimeout(r, Number(holdMs)));
  await store.close();
} catch (error) {
  process.stdout.write(`${(error as { code?: string }).code ?? 'error'}\n`);
}
