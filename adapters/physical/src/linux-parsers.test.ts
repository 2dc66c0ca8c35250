import { describe, expect, it } from 'vitest';
import { parseFindmnt, parseIpAddr, parseLosetup, parseLsblk, parseOsRelease } from './linux-parsers.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LSBLK_COMMAND, splitSections } from './linux-facts.js';

// Shapes as util-linux and iproute2 print them; the old lsblk form is from util-linux 2.33
// (Debian 10), the new one from 2.38 (Debian 12).
describe('Linux tool output', () => {
  it('reads lsblk ≥ 2.37 (mountpoints arrays, numeric sizes, boolean ro)', () => {
    const [disk] = parseLsblk(
      JSON.stringify({
        blockdevices: [
          {
            name: 'sda',
            kname: 'sda',
            path: '/dev/sda',
            size: 53687091200,
            type: 'disk',
            fstype: null,
            mountpoints: [null],
            serial: 'S3Z9NB0K',
            wwn: '0x5002538e40a1b2c3',
            model: 'Samsung SSD',
            ro: false,
            children: [
              {
                name: 'sda1',
                kname: 'sda1',
                path: '/dev/sda1',
                size: 536870912,
                type: 'part',
                fstype: 'vfat',
                mountpoints: ['/boot/efi'],
                ro: false,
              },
              {
                name: 'sda2',
                kname: 'sda2',
                path: '/dev/sda2',
                size: 1000,
                type: 'part',
                fstype: 'btrfs',
                mountpoints: ['/home', '/'],
                ro: false,
              },
            ],
          },
        ],
      }),
    );
    expect(disk).toMatchObject({
      path: '/dev/sda',
      sizeBytes: 53687091200,
      wwn: '0x5002538e40a1b2c3',
      readOnly: false,
      mountpoints: [],
    });
    expect(disk!.children.map((c) => c.mountpoints)).toEqual([['/boot/efi'], ['/home', '/']]);
  });

  it('reads lsblk < 2.37 (one mountpoint, sizes as strings, ro as "0", no PATH column)', () => {
    const [disk] = parseLsblk(
      '{"blockdevices": [{"name": "vda", "kname": "vda", "size": "10737418240", "type": "disk", "fstype": null, "mountpoint": null, "ro": "0", "children": [{"name": "vda1", "kname": "vda1", "size": "10736369664", "type": "part", "fstype": "ext4", "mountpoint": "/", "ro": "0"}]}]}',
    );
    expect(disk).toMatchObject({ path: '/dev/vda', sizeBytes: 10737418240, readOnly: false });
    expect(disk!.children[0]!.mountpoints).toEqual(['/']);
  });

  // util-linux 2.23 (RHEL/CentOS 7) has no -J. This is the shape its `lsblk -P -b` prints
  // for a default CentOS 7 install (LVM on sda2, a CD drive), written out from that format:
  // no host of that generation runs here. The real 2.38 output is checked live below.
  it('reads lsblk -P pairs from util-linux 2.23: children under PKNAME, \\x escapes, [SWAP] dropped', () => {
    const devices = parseLsblk(
      [
        '#pairs',
        'NAME="sda" KNAME="sda" PKNAME="" SIZE="21474836480" TYPE="disk" FSTYPE="" MOUNTPOINT="" WWN="" MODEL="VMware Virtual S" RO="0"',
        'NAME="sda1" KNAME="sda1" PKNAME="sda" SIZE="1073741824" TYPE="part" FSTYPE="xfs" MOUNTPOINT="/boot" WWN="" MODEL="" RO="0"',
        'NAME="sda2" KNAME="sda2" PKNAME="sda" SIZE="20400046080" TYPE="part" FSTYPE="LVM2_member" MOUNTPOINT="" WWN="" MODEL="" RO="0"',
        'NAME="centos-root" KNAME="dm-0" PKNAME="sda2" SIZE="18249416704" TYPE="lvm" FSTYPE="xfs" MOUNTPOINT="/" WWN="" MODEL="" RO="0"',
        'NAME="centos-swap" KNAME="dm-1" PKNAME="sda2" SIZE="2147483648" TYPE="lvm" FSTYPE="swap" MOUNTPOINT="[SWAP]" WWN="" MODEL="" RO="0"',
        'NAME="sr0" KNAME="sr0" PKNAME="" SIZE="1073741312" TYPE="rom" FSTYPE="" MOUNTPOINT="/mnt/CentOS\\x207\\x20x86_64" WWN="" MODEL="VMware IDE CDR10" RO="1"',
      ].join('\n'),
    );
    expect(devices.map((d) => [d.path, d.sizeBytes, d.type, d.readOnly])).toEqual([
      ['/dev/sda', 21474836480, 'disk', false],
      ['/dev/sr0', 1073741312, 'rom', true],
    ]);
    expect(devices[0]!.model).toBe('VMware Virtual S');
    const lvs = devices[0]!.children[1]!.children;
    expect(lvs.map((l) => [l.name, l.kname, l.path, l.mountpoints])).toEqual([
      ['centos-root', 'dm-0', '/dev/dm-0', ['/']],
      ['centos-swap', 'dm-1', '/dev/dm-1', []],
    ]);
    expect(devices[1]!.mountpoints).toEqual(['/mnt/CentOS 7 x86_64']);
  });

  it("falls back to pairs where lsblk has no -J, and reads this machine's real lsblk the same either way", () => {
    // A stand-in lsblk that refuses -J as util-linux < 2.27 does, passing -P to the real one.
    const bin = mkdtempSync(join(tmpdir(), 'drkit-old-lsblk-'));
    const real = execFileSync('sh', ['-c', 'command -v lsblk']).toString().trim();
    writeFileSync(
      join(bin, 'lsblk'),
      `#!/bin/sh\ncase " $* " in *" -J "*) echo "lsblk: invalid option -- 'J'" >&2; exit 1;; esac\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
    const old = execFileSync('sh', ['-c', LSBLK_COMMAND], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    }).toString();
    const current = execFileSync('sh', ['-c', LSBLK_COMMAND]).toString();
    expect(old.startsWith('#pairs')).toBe(true);
    const shape = (ds: ReturnType<typeof parseLsblk>): unknown =>
      ds.map((d) => [d.kname, d.sizeBytes, d.type, d.mountpoints, shape(d.children)]);
    expect(shape(parseLsblk(old))).toEqual(shape(parseLsblk(current)));
    expect(parseLsblk(old).length).toBeGreaterThan(0);
  });

  it('refuses lsblk output without sizes rather than guessing', () => {
    expect(() => parseLsblk('{"blockdevices":[{"name":"sdb","size":"1.8T"}]}')).toThrow(/byte size/);
    expect(() => parseLsblk('lsblk: unknown column')).toThrow(/not JSON/);
  });

  it('maps loop devices to backing files, deleted ones included', () => {
    const m = parseLosetup(
      '{"loopdevices":[{"name":"/dev/loop0","back-file":"/srv/disks/a.img"},{"name":"/dev/loop1","back-file":"/srv/disks/b.img (deleted)"},{"name":"/dev/loop2","back-file":null}]}',
    );
    expect([...m]).toEqual([
      ['/dev/loop0', '/srv/disks/a.img'],
      ['/dev/loop1', '/srv/disks/b.img'],
    ]);
  });

  it('reads ip -j addr and os-release', () => {
    const nics = parseIpAddr(
      '[{"ifname":"lo","link_type":"loopback","address":"00:00:00:00:00:00","flags":["LOOPBACK","UP"],"addr_info":[{"family":"inet","local":"127.0.0.1"}]},{"ifname":"eth0","link_type":"ether","address":"52:54:00:12:34:56","flags":["BROADCAST","UP"],"addr_info":[{"family":"inet","local":"192.0.2.10"},{"family":"inet6","local":"2001:db8::10"}]}]',
    );
    expect(nics).toEqual([
      { name: 'lo', up: true, addresses: ['127.0.0.1'] },
      { name: 'eth0', mac: '52:54:00:12:34:56', up: true, addresses: ['192.0.2.10', '2001:db8::10'] },
    ]);
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n# c\n')).toEqual({
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
      ID: 'debian',
      VERSION_ID: '12',
    });
  });

  it('reads findmnt: the tree flattened, only filesystems on block devices, subvolume suffixes dropped', () => {
    const fs = parseFindmnt(
      '{"filesystems":[{"target":"/","source":"/dev/sda2[/@]","fstype":"btrfs","size":53687091200,"avail":21474836480,"children":[{"target":"/proc","source":"proc","fstype":"proc","size":0,"avail":0},{"target":"/srv/data","source":"/dev/mapper/vg0-data","fstype":"xfs","size":10737418240,"avail":5368709120},{"target":"/run","source":"tmpfs","fstype":"tmpfs","size":1,"avail":1}]}]}',
    );
    expect(fs).toEqual([
      { target: '/', source: '/dev/sda2', fstype: 'btrfs', sizeBytes: 53687091200, availBytes: 21474836480 },
      {
        target: '/srv/data',
        source: '/dev/mapper/vg0-data',
        fstype: 'xfs',
        sizeBytes: 10737418240,
        availBytes: 5368709120,
      },
    ]);
  });

  it('splits the facts script output into sections, empty ones included', () => {
    const s = splitSections('\n=== hostname\nweb1\n\n=== tools\n\n=== kernel\nLinux 6.1.0\n');
    expect(s.get('hostname')).toBe('web1\n');
    expect(s.get('tools')).toBe('');
    expect(s.get('kernel')).toBe('Linux 6.1.0\n');
  });
});
