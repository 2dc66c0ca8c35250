import { EXTENT_DIFF } from './extent-diff-script.js';

/**
 * The remote half of a disk read: a fixed Python 3 program (stdlib only, nothing installed
 * on the host) that answers framed requests on stdin, in order. Python because it is on
 * nearly every Linux server and hashes with OpenSSL; the shell has no per-block hashing.
 *
 * Request:  op u8 (1 read, 2 hash, 3 extent diff) | offset u64 | length u32 | block size u32
 *           (big-endian); op 3 is followed by `length` bytes: the older clone's path, and
 *           answers status 4 when that clone is gone.
 * Response: status u8 (0 raw, 1 zlib, 2 error, 3 all zero: no payload) | payload length u32 |
 *           CRC-32 of the uncompressed payload u32 | payload
 * A read's payload is the bytes; a hash's is one SHA-256 per block, 32 zero bytes for an
 * all-zero block (the store's convention); a diff's is "offset length" lines (see
 * extent-diff-script.ts). argv: <file> <compress 0|1>.
 */
export const BLOCK_HELPER =
  EXTENT_DIFF +
  String.raw`
import hashlib, os, struct, sys, zlib
fd = os.open(sys.argv[1], os.O_RDONLY)
try: os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
except (AttributeError, OSError): pass
compress = sys.argv[2] == '1'
inp, out = sys.stdin.buffer, sys.stdout.buffer
Z32 = bytes(32)
zeros = {}
def send(status, payload, crc):
    out.write(struct.pack('>BII', status, len(payload), crc)); out.write(payload); out.flush()
while True:
    hdr = inp.read(17)
    if len(hdr) < 17: break
    op, off, ln, bs = struct.unpack('>BQII', hdr)
    if op == 3:
        base = inp.read(ln).decode()
        if not os.path.isfile(base): send(4, b'', 0); continue
        try: d = diff(base, sys.argv[1]).encode()
        except OSError as e: send(2, ('extent map: %s' % e).encode(), 0); continue
        send(0, d, zlib.crc32(d)); continue
    data = os.pread(fd, ln, off)
    if len(data) != ln:
        send(2, ('short read: %d of %d bytes at %d' % (len(data), ln, off)).encode(), 0); continue
    if op == 1:
        z = zeros.get(ln)
        if z is None and ln <= 16777216: z = zeros[ln] = bytes(ln)
        if data == z: send(3, b'', 0); continue
        crc = zlib.crc32(data)
        if compress:
            c = zlib.compress(data, 1)
            if len(c) < ln: send(1, c, crc); continue
        send(0, data, crc)
    elif op == 2:
        mv = memoryview(data); parts = []
        for i in range(0, ln, bs):
            b = mv[i:i + bs]; n = len(b)
            z = zeros.get(n)
            if z is None: z = zeros[n] = bytes(n)
            parts.append(Z32 if b == z else hashlib.sha256(b).digest())
        h = b''.join(parts)
        send(0, h, zlib.crc32(h))
    else:
        send(2, b'unknown op', 0)
`;
