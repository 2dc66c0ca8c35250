import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SshRunner } from '@drkit/ssh';
import { localRunner } from './local-runner.js';

const TOOL = join(dirname(fileURLToPath(import.meta.url)), 'fake-volume-tools', 'tool.py');
const TOOLS = ['lsblk', 'losetup', 'lvs', 'lvcreate', 'lvremove', 'zfs', 'fsfreeze', 'readlink'];
const GiB = 1024 ** 3;

export interface FakeVolumeState {
  calls: string[][];
  lvs: Array<Record<string, string>>;
  zfs_snapshots: string[];
  zvols: Array<{ name: string; volsize: number; snapdev: string }>;
}

/**
 * MOCK of a Linux host with LVM and ZFS (this kernel has neither device-mapper nor ZFS):
 * this machine, with those tools — and lsblk, which must show their volumes — replaced by
 * stand-ins that answer in the documented formats and keep state. The adapter's own
 * scripts run for real in `sh`. A volume group vg0 with LVs `data` (mounted /srv/data),
 * `logs` (/srv/logs) and someone else's snapshot `manual_snap`; a pool tank with volume
 * vol1 (snapdev=visible, with someone else's snapshot @daily) and vol2 (snapdev=hidden).
 */
export async function fakeVolumeHost(): Promise<{
  runner: () => Promise<SshRunner>;
  state(): Promise<FakeVolumeState>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'drkit-fakevol-'));
  for (const t of TOOLS) await symlink(TOOL, join(dir, t));
  const lv = (name: string, size: number, attr: string, origin = '', tags = '') => ({
    lv_name: name,
    vg_name: 'vg0',
    lv_size: String(size),
    lv_attr: attr,
    lv_dm_path: `/dev/mapper/vg0-${name}`,
    origin,
    lv_tags: tags,
  });
  const dev = (
    name: string,
    kname: string,
    path: string,
    size: number,
    type: string,
    extra: Record<string, unknown> = {},
  ) => ({
    name,
    kname,
    path,
    size,
    type,
    fstype: null,
    mountpoints: [null],
    serial: null,
    wwn: null,
    model: null,
    ro: false,
    ...extra,
  });
  const state = {
    calls: [],
    lvs: [
      lv('data', 10 * GiB, 'owi-aos---'),
      lv('logs', 2 * GiB, '-wi-ao----'),
      lv('manual_snap', 10 * GiB, 'swi-a-s---', 'data', 'backup-tool'),
    ],
    zfs_snapshots: ['tank/vol1@daily'],
    zvols: [
      { name: 'tank/vol1', volsize: 8 * GiB, snapdev: 'visible' },
      { name: 'tank/vol2', volsize: 4 * GiB, snapdev: 'hidden' },
    ],
    zvol_links: { '/dev/zvol/tank/vol1': '/dev/zd0', '/dev/zvol/tank/vol2': '/dev/zd16' },
    lsblk: [
      dev('sda', 'sda', '/dev/sda', 40 * GiB, 'disk', {
        serial: 'QM00001',
        children: [
          dev('sda1', 'sda1', '/dev/sda1', 40 * GiB, 'part', {
            fstype: 'LVM2_member',
            children: [
              dev('vg0-data', 'dm-0', '/dev/mapper/vg0-data', 10 * GiB, 'lvm', {
                fstype: 'xfs',
                mountpoints: ['/srv/data'],
              }),
              dev('vg0-logs', 'dm-1', '/dev/mapper/vg0-logs', 2 * GiB, 'lvm', {
                fstype: 'ext4',
                mountpoints: ['/srv/logs'],
              }),
              dev('vg0-manual_snap', 'dm-2', '/dev/mapper/vg0-manual_snap', 10 * GiB, 'lvm'),
            ],
          }),
        ],
      }),
      dev('zd0', 'zd0', '/dev/zd0', 8 * GiB, 'disk'),
      dev('zd16', 'zd16', '/dev/zd16', 4 * GiB, 'disk'),
    ],
  };
  const statePath = join(dir, 'state.json');
  await writeFile(statePath, JSON.stringify(state));
  const env = { PATH: `${dir}:${process.env.PATH}`, DRKIT_FAKE_STATE: statePath };
  return {
    runner: async () => localRunner(env),
    state: async () => JSON.parse(await readFile(statePath, 'utf8')) as FakeVolumeState,
  };
}
