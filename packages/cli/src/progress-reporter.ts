import type { ProgressListener } from '@drkit/core';
import { humanBytes } from './inventory-table.js';

/** Progress on stderr: phases and warnings as they come, counts and bytes at most once a second. */
export function progressReporter(err: (line: string) => void): ProgressListener {
  let last = 0;
  return (e) => {
    if (e.kind === 'phase') err(`drkit: ${e.phase}${e.detail ? ` ${e.detail}` : ''}`);
    else if (e.kind === 'warning') err(`drkit: warning: ${e.message}`);
    else if (e.kind === 'retry') err(`drkit: ${e.reason}`);
    else if (e.kind === 'count' && Date.now() - last > 1000) {
      last = Date.now();
      err(`drkit: ${e.done} ${e.what} so far…`);
    } else if (e.kind === 'bytes' && Date.now() - last > 1000) {
      last = Date.now();
      err(
        `drkit:   read ${humanBytes(e.read)}${e.total ? ` of ${humanBytes(e.total)}` : ''}, wrote ${humanBytes(e.sent)}, unchanged ${humanBytes(e.skipped)}`,
      );
    }
  };
}
