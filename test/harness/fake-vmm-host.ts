import type { SshRunner } from '@drkit/ssh';
import { fail, fakePowerShellHost, ok, type PsEnvelope } from './fake-ps-host.js';

/**
 * MOCK of a System Center VMM 2022 server behind its OpenSSH server — no Windows, no VMM and
 * no pwsh here. drkit's fixed scripts get the projections they would print there: host
 * groups, a cloud, a two-node Hyper-V cluster, VMs with VHDX disks and VM networks, SAN LUNs
 * and a replication group, shaped after the virtualmachinemanager cmdlet documentation; VMM
 * jobs are modelled only by their outcome. It checks the connection input on every call.
 */
export interface FakeVmmHost {
  runner: () => Promise<SshRunner>;
  calls: Array<{ name: string; input: unknown }>;
  checkpoints: Map<string, { vmmId: string; name: string; created: string }>;
  group: { state: string; health: string; isPrimary: boolean };
}

const ID = {
  root: '0e3ba228-a059-46be-aa41-2f5cf0f4b96e', prod: '5f7b1c3e-2d4a-4b6c-8e9f-0a1b2c3d4e5f', cloud: '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d',
  hv1: 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d', hv2: 'b1c2d3e4-f5a6-4b7c-9d8e-0f1a2b3c4d5e',
  sql: 'c2d3e4f5-a6b7-4c8d-8e9f-1a2b3c4d5e6f', app: 'd3e4f5a6-b7c8-4d9e-9f0a-2b3c4d5e6f7a',
  netProd: 'e4f5a6b7-c8d9-4e0f-8a1b-3c4d5e6f7a8b', netDr: 'f5a6b7c8-d9e0-4f1a-9b2c-4d5e6f7a8b9c',
  lun1: '16a7b8c9-d0e1-4f2a-8b3c-5d6e7f8a9b0c', lun2: '27b8c9d0-e1f2-4a3b-9c4d-6e7f8a9b0c1d', rg: '38c9d0e1-f2a3-4b4c-8d5e-7f8a9b0c1d2e',
};

export function fakeVmmHost(options: { server?: string; username?: string; password?: string } = {}): FakeVmmHost {
  const checkpoints: FakeVmmHost['checkpoints'] = new Map();
  const group = { state: 'Replicating', health: 'Normal', isPrimary: true };
  const vm = (id: string, vmId: string, name: string, status: string, checkpointType: string, disks: number[], ip: string) => ({
    id, vmId, name, status, cpus: 4, memoryMB: 16384, hostId: ID.hv1, cloudId: ID.cloud, checkpointType,
    disks: disks.map((gib, i) => ({ id: `${id.slice(0, 8)}-0000-4000-8000-00000000000${i}`, bus: 'SCSI', busNumber: 0, lun: i, path: `C:\\ClusterStorage\\Volume1\\${name}\\${name}-disk${i}.vhdx`, sizeBytes: gib * 2 ** 30, type: 'DynamicallyExpanding', format: 'VHDX' })),
    nics: [{ id: `${id.slice(0, 8)}-1111-4000-8000-000000000001`, mac: '00:1D:D8:B7:1C:0' + (name === 'SQL01' ? '1' : '2'), vmNetworkId: ID.netProd, addresses: status === 'Running' ? [ip] : [] }],
  });
  const site = () => ({
    hostGroups: [{ id: ID.root, name: 'All Hosts', path: 'All Hosts' }, { id: ID.prod, name: 'Production', path: 'All Hosts\\Production' }],
    clouds: [{ id: ID.cloud, name: 'Tier1-Cloud', hostGroupIds: [ID.prod] }],
    hosts: [
      { id: ID.hv1, name: 'hv01', fqdn: 'hv01.corp.example', cluster: 'HVCLUSTER01', os: 'Windows Server 2022 Datacenter', state: 'OK', hostGroupId: ID.prod },
      { id: ID.hv2, name: 'hv02', fqdn: 'hv02.corp.example', cluster: 'HVCLUSTER01', os: 'Windows Server 2022 Datacenter', state: 'OK', hostGroupId: ID.prod },
    ],
    vmNetworks: [{ id: ID.netProd, name: 'Prod-VMNet', logicalNetwork: 'Datacenter' }, { id: ID.netDr, name: 'DR-VMNet', logicalNetwork: 'DR-Datacenter' }],
    vms: [vm(ID.sql, '6B1E2A4C-8D3F-4E5A-9B7C-1D2E3F4A5B6C', 'SQL01', 'Running', 'ProductionOnly', [127, 500], '192.0.2.61'), vm(ID.app, '7C2F3B5D-9E4A-4F6B-8C8D-2E3F4A5B6C7D', 'APP01', 'Running', 'Production', [80], '192.0.2.62')],
    luns: [
      { id: ID.lun1, name: 'CSV-SQL', arrayName: 'FA-01', sizeBytes: 2 * 2 ** 40 },
      { id: ID.lun2, name: 'CSV-APP', arrayName: 'FA-01', sizeBytes: 2 ** 40 },
    ],
    replicationGroups: [{ id: ID.rg, name: 'RG-Tier1', ...group, lunIds: [ID.lun1, ID.lun2] }],
  });
  // Which operation may follow which state, as VMM enforces it.
  const moves: Record<string, [string, string]> = {
    PrepareForFailover: ['Replicating', 'PreparedForFailover'],
    Failover: ['PreparedForFailover', 'FailedOver'],
    ReverseRoles: ['FailedOver', 'Replicating'],
    EnableProtection: ['Disabled', 'Replicating'],
    TearDown: ['Replicating', 'Disabled'],
  };

  const answer = (name: string, input: Record<string, unknown> | undefined): PsEnvelope => {
    if (input?.server !== (options.server ?? 'localhost')) return fail(`Unable to connect to the VMM management server ${String(input?.server)}.`, 'ConnectionError', 'Microsoft.VirtualManager.Utils.CarmineException');
    if (options.username) {
      const c = input.credential as { username?: string; password?: string } | undefined;
      if (c?.username !== options.username || c?.password !== options.password) return fail('You cannot access the VMM management server with the credentials given.', 'AuthenticationError', 'Microsoft.VirtualManager.Utils.CarmineException');
    }
    switch (name) {
      case 'vmm.probe':
        return ok({ name: 'vmm01', fqdn: 'vmm01.corp.example', version: '10.22.1287.0', port: 8100 });
      case 'vmm.discover':
        return ok(site());
      case 'vmm.checkpoint.take': {
        const v = site().vms.find((x) => x.id === input.vmmId);
        if (!v) return fail(`no virtual machine ${String(input.vmmId)} in VMM`, 'ObjectNotFound');
        const id = `${(0x4000 + checkpoints.size).toString(16)}aaaa-0000-4000-8000-${v.id.slice(-12)}`;
        const created = new Date(Date.UTC(2026, 10, 23, 8, checkpoints.size)).toISOString();
        checkpoints.set(id, { vmmId: v.id, name: String(input.tag), created });
        return ok({ id, name: String(input.tag), created, checkpointType: v.checkpointType, status: v.status });
      }
      case 'vmm.checkpoint.delete':
        checkpoints.delete(String(input.checkpointId));
        return ok([]);
      case 'vmm.checkpoint.list':
        return ok([...checkpoints].map(([id, c]) => ({ id, vmmId: c.vmmId, name: c.name, created: c.created })));
      case 'vmm.replication.operate': {
        if (input.groupId !== ID.rg) return fail(`no replication group ${String(input.groupId)}`, 'ObjectNotFound');
        const move = moves[String(input.operation)];
        if (!move) return fail('unknown replication operation', 'InvalidArgument');
        if (group.state !== move[0]) return fail(`The replication group is in state ${group.state}; ${String(input.operation)} is not possible.`, 'InvalidOperation');
        group.state = move[1];
        if (input.operation === 'ReverseRoles') group.isPrimary = !group.isPrimary;
        return ok({ id: ID.rg, name: 'RG-Tier1', ...group });
      }
      default:
        throw new Error(`fake VMM: no answer for ${name}`);
    }
  };
  const { runner, calls } = fakePowerShellHost('ssh://fake-vmm', answer);
  return { runner: async () => runner, calls, checkpoints, group };
}
