/** Whether Debian's qemu-img is installed (`.ci/run` installs qemu-utils): tests that read images back with it skip without. */
export declare const hasQemuImg: boolean;
//# sourceMappingURL=qemu-img.d.ts.map
