/**
 * Changed ranges between two copy-on-write clones of one disk image (btrfs snapshots or
 * reflinks), from their extent maps (FIEMAP) — no data read. A block the newer clone
 * still shares with the older one sits at the same physical address in both, and a shared
 * extent cannot be rewritten in place (the older clone is read-only), so a range mapped
 * identically in both is unchanged. Anything else — new extents, holes that appeared or
 * vanished, compressed or inline extents that differ — is reported as changed: relocation
 * by a balance can only over-report, which costs reads, never correctness.
 *
 * Python function diff(older, newer) → one "offset length" line per changed range; part of
 * the block helper (block-helper-script.ts), so a delta costs no extra exec.
 */
export const EXTENT_DIFF = String.raw`
import fcntl, os, struct, sys
FS_IOC_FIEMAP = 0xC020660B
SYNC = 1
LAST, UNKNOWN, DELALLOC, ENCODED, INLINE = 0x1, 0x2, 0x4, 0x8, 0x200
def extents(path):
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    out, start, n = [], 0, 512
    try:
        while start < size:
            req = bytearray(struct.pack('=QQIIII', start, size - start, SYNC, 0, n, 0) + bytes(56 * n))
            fcntl.ioctl(fd, FS_IOC_FIEMAP, req, True)
            mapped = struct.unpack_from('=I', req, 20)[0]
            if mapped == 0: break
            last = False
            for i in range(mapped):
                lo, ph, ln, _, _, fl = struct.unpack_from('=QQQQQI', req, 32 + 56 * i)
                out.append((lo, ph, ln, fl))
                last = last or bool(fl & LAST)
            start = out[-1][0] + out[-1][2]
            if last: break
    finally:
        os.close(fd)
    return size, out
def diff(old_path, new_path):
    osize, old = extents(old_path)
    nsize, new = extents(new_path)
    # Maps of identically placed data: (logical start, logical end, physical - logical).
    def linear(exts):
        return [(lo, lo + ln, ph - lo) for lo, ph, ln, fl in exts if not fl & (UNKNOWN | DELALLOC | ENCODED | INLINE)]
    def exact(exts):
        return {(lo, ph, ln) for lo, ph, ln, fl in exts if fl & ENCODED and not fl & (UNKNOWN | DELALLOC | INLINE)}
    oldlin, oldexact = linear(old), exact(old)
    changed = []
    def add(a, b):
        if b <= a: return
        if changed and changed[-1][1] >= a: changed[-1][1] = max(changed[-1][1], b)
        else: changed.append([a, b])
    # Ranges the newer file maps: unchanged only where the older maps them identically.
    covered = []
    j = 0
    for lo, ph, ln, fl in new:
        hi = min(lo + ln, nsize)
        covered.append((lo, hi))
        if fl & ENCODED and not fl & (UNKNOWN | DELALLOC | INLINE):
            if (lo, ph, ln) not in oldexact: add(lo, hi)
            continue
        if fl & (UNKNOWN | DELALLOC | INLINE | ENCODED):
            add(lo, hi); continue
        pos = lo
        while j < len(oldlin) and oldlin[j][1] <= pos: j += 1
        k = j
        while pos < hi:
            while k < len(oldlin) and oldlin[k][1] <= pos: k += 1
            if k < len(oldlin) and oldlin[k][0] <= pos:
                s, e, d = oldlin[k]
                end = min(e, hi)
                if d != ph - lo: add(pos, end)
                pos = end
            else:
                nxt = oldlin[k][0] if k < len(oldlin) else hi
                end = min(nxt, hi)
                add(pos, end)
                pos = end
    # Holes in the newer file where the older had data now read as zeros: changed too.
    holes = []
    c = 0
    for lo, ph, ln, fl in old:
        a, b = lo, min(lo + ln, nsize)
        while c < len(covered) and covered[c][1] <= a: c += 1
        k = c
        while a < b:
            if k < len(covered) and covered[k][0] <= a:
                a = max(a, covered[k][1]); k += 1
            else:
                nxt = covered[k][0] if k < len(covered) else b
                if min(nxt, b) > a: holes.append([a, min(nxt, b)])
                a = min(nxt, b)
    changed += holes
    changed.sort()
    merged = []
    for a, b in changed:
        if merged and merged[-1][1] >= a: merged[-1][1] = max(merged[-1][1], b)
        else: merged.append([a, b])
    if osize != nsize: merged.append([min(osize, nsize), max(osize, nsize)])
    lines = []
    for a, b in merged:
        b = min(b, nsize)
        if b > a: lines.append('%d %d\n' % (a, b - a))
    return ''.join(lines)
`;
