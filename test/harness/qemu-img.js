import { execFileSync } from 'node:child_process';
/** Whether Debian's qemu-img is installed (`.ci/run` installs qemu-utils): tests that read images back with it skip without. */
export const hasQemuImg = (() => {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
//# sourceMappingURL=qemu-img.js.map
