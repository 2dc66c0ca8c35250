#!/usr/bin/env node
// Runs the built CLI (dist/): no TypeScript at run time. In a checkout, `pnpm install`
// builds it (the root's prepare script); after a source change, `pnpm build`.
try {
  await import('../dist/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    process.stderr.write('drkit: the CLI is not built; run `pnpm build` in the checkout [bad-input]\n');
    process.exitCode = 2;
  } else {
    throw error;
  }
}
