import type { SshRunner } from '@drkit/ssh';
import { fail, fakePowerShellHost, ok, type PsEnvelope } from './fake-ps-host.js';

/**
 * MOCK of a standalone Hyper-V host (Windows Server 2022) behind its OpenSSH server — no
 * Windows and no pwsh here. Each of drkit's fixed scripts, recognized by the operation name
 * and checked for the stdin/JSON wrapper, gets the answer the real script prints on such a
 * host: the projections of Get-VM / Get-VMHardDiskDrive / Get-VHD / Get-VMNetworkAdapter /
 * Get-VMIntegrationService / Get-VMReplication shaped after Microsoft's documentation
 * (enum names, GUIDs, MACs as Hyper-V prints them), and the WMI snapshot service's outcome.
 * VMMS's fallback event is worded after published examples; treat its text as approximate.
 */
export interface FakeHyperVHost {
  runner: () => Promise<SshRunner>;
  calls: Array<{ name: string; input: unknown }>;
  snapshots: Map<string, { vmId: string; name: string; created: string }>;
  replication: Map<string, { state: string; health: string; mode: string }>;
}

export interface FakeHyperVOptions {
  /** The replica side of a pair: the same VMs, in Replica mode. */
  role?: 'primary' | 'replica';
}

const VM = { sql: '6b1e2a4c-8d3f-4e5a-9b7c-1d2e3f4a5b6c', web: '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f', old: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d' };
const VSS_ID = '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47';

export function fakeHyperVHost(options: FakeHyperVOptions = {}): FakeHyperVHost {
  const snapshots: FakeHyperVHost['snapshots'] = new Map();
  const replica = options.role === 'replica';
  const replication = new Map([
    [VM.sql, { state: replica ? 'Replicating' : 'Replicating', health: 'Normal', mode: replica ? 'Replica' : 'Primary' }],
    [VM.web, { state: 'ResynchronizationRequired', health: 'Critical', mode: replica ? 'Replica' : 'Primary' }],
  ]);
  const power = new Map([[VM.sql, replica ? 'Off' : 'Running'], [VM.web, 'Running'], [VM.old, 'Off']]);
  let serial = 0x1000;
  const services = (vmId: string, vss: string) => [
    { name: 'Guest Service Interface', id: `Microsoft:${vmId.toUpperCase()}\\6C09BB55-D683-4DA0-8931-C9BF705F6480`, enabled: false, status: '' },
    { name: 'Heartbeat', id: `Microsoft:${vmId.toUpperCase()}\\57164F39-9115-4E78-AB55-382F3BD5422D`, enabled: true, status: power.get(vmId) === 'Running' ? 'OK' : '' },
    { name: 'Key-Value Pair Exchange', id: `Microsoft:${vmId.toUpperCase()}\\2A34B1C2-FD73-4043-8A5B-DD2159BC743F`, enabled: true, status: power.get(vmId) === 'Running' ? 'OK' : '' },
    { name: 'Shutdown', id: `Microsoft:${vmId.toUpperCase()}\\9F8233AC-BE49-4C79-8EE3-E7E1985B2077`, enabled: true, status: power.get(vmId) === 'Running' ? 'OK' : '' },
    { name: 'Time Synchronization', id: `Microsoft:${vmId.toUpperCase()}\\2497F4DE-E9FA-4204-80E4-4B75C46419C0`, enabled: true, status: power.get(vmId) === 'Running' ? 'OK' : '' },
    { name: 'VSS', id: `Microsoft:${vmId.toUpperCase()}\\${VSS_ID}`, enabled: true, status: vss },
  ];
  const vhd = (path: string, gib: number, type = 'Dynamic', parentPath = '') => ({
    format: path.endsWith('.vhd') ? 'VHD' : 'VHDX', type, sizeBytes: gib * 2 ** 30, fileBytes: Math.floor(gib * 2 ** 30 * 0.3), parentPath, diskIdentifier: `${(serial++).toString(16).toUpperCase().padStart(8, '0')}-1C2D-4E3F-8A9B-0C1D2E3F4A5B`,
  });
  const site = () => ({
    switches: [
      { id: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f', name: 'ConvergedSwitch', type: 'External' },
      { id: '9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a', name: 'Isolated', type: 'Private' },
    ],
    vms: [
      {
        id: VM.sql, name: 'SQL01', state: power.get(VM.sql), generation: 2, version: '10.0', cpus: 8, memoryBytes: 32 * 2 ** 30, checkpointType: 'Production',
        replicationState: replication.get(VM.sql)!.state, replicationHealth: replication.get(VM.sql)!.health, replicationMode: replication.get(VM.sql)!.mode,
        clustered: false, path: 'D:\\Hyper-V\\SQL01', integrationServicesVersion: '',
        disks: [
          { controller: 'SCSI', controllerNumber: 0, location: 0, path: 'D:\\Hyper-V\\SQL01\\Virtual Hard Disks\\SQL01-os.vhdx', passThrough: false, vhd: vhd('SQL01-os.vhdx', 127) },
          { controller: 'SCSI', controllerNumber: 0, location: 1, path: 'D:\\Hyper-V\\SQL01\\Virtual Hard Disks\\SQL01-data.vhdx', passThrough: false, vhd: vhd('SQL01-data.vhdx', 500, 'Fixed') },
        ],
        nics: [{ id: `Microsoft:${VM.sql.toUpperCase()}\\B1A2C3D4-E5F6-4789-A0B1-C2D3E4F5A6B7`, name: 'Network Adapter', mac: '00155D0A1B01', switchId: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f', connected: true, addresses: power.get(VM.sql) === 'Running' ? ['192.0.2.51', 'fe80::215:5dff:fe0a:1b01'] : [] }],
        integrationServices: services(VM.sql, power.get(VM.sql) === 'Running' ? 'OK' : ''),
      },
      {
        id: VM.web, name: 'WEB01', state: power.get(VM.web), generation: 2, version: '9.0', cpus: 2, memoryBytes: 4 * 2 ** 30, checkpointType: 'Production',
        replicationState: replication.get(VM.web)!.state, replicationHealth: replication.get(VM.web)!.health, replicationMode: replication.get(VM.web)!.mode,
        clustered: false, path: 'D:\\Hyper-V\\WEB01', integrationServicesVersion: '',
        disks: [{ controller: 'SCSI', controllerNumber: 0, location: 0, path: 'D:\\Hyper-V\\WEB01\\Virtual Hard Disks\\WEB01_8E2A1C3B-4D5F-4A6B-9C7D-8E9F0A1B2C3D.avhdx', passThrough: false, vhd: vhd('WEB01.avhdx', 60, 'Differencing', 'D:\\Hyper-V\\WEB01\\Virtual Hard Disks\\WEB01.vhdx') }],
        nics: [{ id: `Microsoft:${VM.web.toUpperCase()}\\C1D2E3F4-A5B6-4C7D-8E9F-A0B1C2D3E4F5`, name: 'Network Adapter', mac: '00155D0A1B02', switchId: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f', connected: true, addresses: ['192.0.2.52'] }],
        // A guest whose VSS requestor does not answer: production checkpoints fall back.
        integrationServices: services(VM.web, 'No Contact'),
      },
      {
        id: VM.old, name: 'LEGACY-APP', state: power.get(VM.old), generation: 1, version: '5.0', cpus: 1, memoryBytes: 2 * 2 ** 30, checkpointType: 'Standard',
        replicationState: 'Disabled', replicationHealth: 'NotApplicable', replicationMode: 'None', clustered: false, path: 'D:\\Hyper-V\\LEGACY-APP', integrationServicesVersion: '6.3.9600.16384',
        disks: [
          { controller: 'IDE', controllerNumber: 0, location: 0, path: 'D:\\Hyper-V\\LEGACY-APP\\legacy.vhd', passThrough: false, vhd: vhd('legacy.vhd', 40, 'Fixed') },
          { controller: 'SCSI', controllerNumber: 0, location: 0, path: 'Disk 3 0.00 B Bus 0 Lun 0 Target 0', passThrough: true, vhd: null },
        ],
        nics: [{ id: `Microsoft:${VM.old.toUpperCase()}\\D1E2F3A4-B5C6-4D7E-8F9A-B0C1D2E3F4A5`, name: 'Legacy Network Adapter', mac: '00155D0A1B03', switchId: null, connected: false, addresses: [] }],
        integrationServices: services(VM.old, ''),
      },
    ],
  });

  const answer = (name: string, input: Record<string, unknown> | undefined): PsEnvelope => {
    switch (name) {
      case 'hyperv.probe':
        return ok({ name: replica ? 'HV02' : 'HV01', uuid: replica ? '4C4C4544-0052-3810-8057-B8C04F4E3732' : '4C4C4544-0051-3710-8056-B7C04F4E3732', os: 'Microsoft Windows Server 2022 Datacenter', version: '10.0.20348', build: 20348, logicalProcessors: 32, memoryBytes: 256 * 2 ** 30, module: '2.0.0.0', cluster: null, replica: { enabled: true, port: 80 } });
      case 'hyperv.discover':
        return ok(site());
      case 'hyperv.snapshot.take': {
        const vmId = String(input?.vmId ?? '').toLowerCase();
        const tag = String(input?.tag ?? '');
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(tag)) return fail('bad snapshot tag', 'InvalidArgument');
        const vm = site().vms.find((v) => v.id === vmId);
        if (!vm) return fail(`no virtual machine ${vmId} on this host`, 'ObjectNotFound');
        const snapshotId = `Microsoft:${(0x2000 + snapshots.size).toString(16).toUpperCase().padStart(8, '0')}-5E6F-4A7B-8C9D-${vmId.slice(-12).toUpperCase()}`;
        const created = new Date(Date.UTC(2026, 10, 23, 7, snapshots.size)).toISOString();
        snapshots.set(snapshotId, { vmId, name: tag, created });
        const vss = vm.integrationServices.find((s) => s.name === 'VSS')!;
        const fellBack = input?.level === 1 && vm.state === 'Running' && vss.status !== 'OK';
        return ok({
          snapshotId, name: tag, created, jobState: 7, jobMessage: '',
          events: fellBack ? [{ id: 18016, message: `Could not create a production checkpoint for '${vm.name}' because the guest's VSS requestor did not respond. A standard checkpoint was created instead. (Virtual machine ID ${vmId.toUpperCase()})` }] : [],
          vmState: vm.state, vss: { enabled: vss.enabled, status: vss.status },
        });
      }
      case 'hyperv.snapshot.delete': {
        const id = String(input?.snapshotId ?? '');
        if (!/^Microsoft:[0-9A-Fa-f-]{36}$/.test(id)) return fail('bad snapshot id', 'InvalidArgument');
        snapshots.delete(id);
        return ok([]);
      }
      case 'hyperv.snapshot.list':
        return ok([...snapshots].filter(([, s]) => s.name.startsWith(String(input?.prefix ?? ''))).map(([snapshotId, s]) => ({ vmId: s.vmId.toUpperCase(), snapshotId, name: s.name, created: s.created })));
      case 'hyperv.replica.state':
        return ok([...replication].map(([vmId, r]) => ({
          vmId, vmName: vmId === VM.sql ? 'SQL01' : vmId === VM.web ? 'WEB01' : 'LEGACY-APP', mode: r.mode, state: r.state, health: r.health,
          primaryServer: 'hv01.corp.example', replicaServer: 'hv02.corp.example', frequencySec: 300, lastReplication: '2026-11-23T06:55:00.0000000Z',
        })));
      case 'hyperv.replica.action': {
        const vmId = String(input?.vmId ?? '').toLowerCase();
        if (input?.action === 'enable') {
          if (replication.has(vmId)) return fail('The operation cannot be performed because the virtual machine is already enabled for replication.', 'InvalidOperation');
          if (!site().vms.some((v) => v.id === vmId)) return fail(`no virtual machine ${vmId}`, 'ObjectNotFound');
          replication.set(vmId, { state: 'ReadyForInitialReplication', health: 'Normal', mode: 'Primary' });
          return ok([]);
        }
        if (String(input?.action).startsWith('start-')) {
          const rel = replication.get(vmId);
          if (rel && rel.state === 'ReadyForInitialReplication') {
            rel.state = input?.action === 'start-network' ? 'Replicating' : 'WaitingForInitialReplication';
            return ok([]);
          }
        }
        const r = replication.get(vmId);
        if (!r) return fail('The operation cannot be performed because the virtual machine is not enabled for replication.', 'InvalidOperation');
        const step: Record<string, [string, string]> = {
          resync: ['ResynchronizationRequired', 'Resynchronizing'],
          'prepare-failover': ['Replicating', 'PreparedForFailover'],
          failover: ['Replicating', 'FailedOver'],
          reverse: ['FailedOver', 'Replicating'],
        };
        const action = String(input?.action);
        if (action === 'start-vm') {
          power.set(String(input!.vmId).toLowerCase(), 'Running');
          return ok([]);
        }
        const move = step[action];
        if (!move) return fail('unknown replica action', 'InvalidArgument');
        if (r.state !== move[0]) return fail(`The operation cannot be performed while the replication state is ${r.state}.`, 'InvalidOperation');
        r.state = move[1];
        if (action === 'prepare-failover') power.set(String(input!.vmId).toLowerCase(), 'Off');
        if (action === 'reverse') r.mode = 'Primary';
        return ok([]);
      }
      default:
        throw new Error(`fake Hyper-V host: no answer for ${name}`);
    }
  };

  const { runner, calls } = fakePowerShellHost('ssh://fake-hyperv', answer);
  return { runner: async () => runner, calls, snapshots, replication };
}
