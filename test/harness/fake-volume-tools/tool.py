#!/usr/bin/python3
# Stand-ins for lsblk, losetup, lvs, lvcreate, lvremove, zfs, fsfreeze and readlink on a
# host with LVM and ZFS, which this kernel cannot run (no device-mapper, no ZFS). Outputs
# follow the tools' documented formats (lvs(8) --reportformat json, zfs-list(8) -H -p);
# state lives in $DRKIT_FAKE_STATE; every call is logged there for the test to read.
import json, os, sys

state_path = os.environ['DRKIT_FAKE_STATE']
with open(state_path) as f:
    st = json.load(f)
tool = os.path.basename(sys.argv[0])
args = sys.argv[1:]
st['calls'].append([tool] + args)
code = 0
out = ''
err = ''

def lv_rows():
    rows = []
    for lv in st['lvs']:
        rows.append(lv)
    return rows

if tool == 'lsblk':
    out = json.dumps({'blockdevices': st['lsblk']})
elif tool == 'losetup':
    out = json.dumps({'loopdevices': []})
elif tool == 'readlink':
    p = args[-1]
    out = st['zvol_links'].get(p, p) + '\n'
elif tool == 'fsfreeze':
    pass
elif tool == 'lvs':
    if '--reportformat' in args:
        out = json.dumps({'report': [{'lv': [{k: lv[k] for k in ('lv_name', 'vg_name', 'lv_size', 'lv_attr', 'lv_dm_path', 'origin', 'lv_tags')} for lv in lv_rows()]}]})
    elif '--noheadings' in args:
        vg = args[-1]
        out = ''.join('  %s %s %s\n' % (lv['lv_name'], lv['origin'], lv['lv_tags']) for lv in lv_rows() if lv['vg_name'] == vg)
    else:
        vg, name = args[-1].split('/')
        if not any(lv['vg_name'] == vg and lv['lv_name'] == name for lv in lv_rows()):
            code, err = 5, '  Failed to find logical volume "%s"\n' % args[-1]
elif tool == 'lvcreate':
    name = args[args.index('--name') + 1]
    tag = args[args.index('--addtag') + 1]
    vg, origin = args[-1].split('/')
    src = next(lv for lv in st['lvs'] if lv['vg_name'] == vg and lv['lv_name'] == origin)
    if any(lv['vg_name'] == vg and lv['lv_name'] == name for lv in st['lvs']):
        code, err = 5, '  Logical Volume "%s" already exists in volume group "%s"\n' % (name, vg)
    else:
        st['lvs'].append({'lv_name': name, 'vg_name': vg, 'lv_size': src['lv_size'], 'lv_attr': 'swi-a-s---', 'lv_dm_path': '/dev/mapper/%s-%s' % (vg, name), 'origin': origin, 'lv_tags': tag})
        out = '  Logical volume "%s" created.\n' % name
elif tool == 'lvremove':
    vg, name = args[-1].split('/')
    st['lvs'] = [lv for lv in st['lvs'] if not (lv['vg_name'] == vg and lv['lv_name'] == name)]
    out = '  Logical volume "%s" successfully removed.\n' % name
elif tool == 'zfs':
    sub = args[0]
    if sub == 'list' and 'volume' in args:
        out = ''.join('%s\t%d\t%s\n' % (v['name'], v['volsize'], v['snapdev']) for v in st['zvols'])
    elif sub == 'list':
        target = args[-1]
        snaps = st['zfs_snapshots']
        if '@' in target:
            if target not in snaps: code, err = 1, "cannot open '%s': dataset does not exist\n" % target
            else: out = target + '\n'
        else:
            out = ''.join(s + '\n' for s in snaps if s.startswith(target + '@'))
    elif sub == 'snapshot':
        names = args[1:]
        if any(n in st['zfs_snapshots'] for n in names):
            code, err = 1, "cannot create snapshots : dataset already exists\n"
        else:
            st['zfs_snapshots'] += names  # one call: atomic, like zfs snapshot with several names
    elif sub == 'destroy':
        st['zfs_snapshots'].remove(args[1])
with open(state_path, 'w') as f:
    json.dump(st, f)
sys.stdout.write(out)
sys.stderr.write(err)
sys.exit(code)
