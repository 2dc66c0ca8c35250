import { afterEach, describe, expect, it } from 'vitest';
import { DrkitError } from '@drkit/core';
import { HyperVReplica, plannedFailover } from '@drkit/hyperv-replica';
import { powershellOverSsh } from '@drkit/powershell';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { createVmmAdapter } from '../src/index.js';

// Two VMM sites in REAL pwsh, each a stub VMM server (test/harness/pwsh-stub/) with the
// Hyper-V module beside it, as on a real VMM server; SQL01 runs on hv01 at the primary site
// and its replica sits on hv02, which the recovery site's VMM manages.
const CREDENTIAL = { username: 'CORP\\svc-drkit', password: 'vmm-canary-Pa55w0rd' };
const SQL01 = '6b1e2a4c-8d3f-4e5a-9b7c-1d2e3f4a5b6c';
if (!PWSH) console.warn(`VMM Hyper-V Replica tests skipped: ${NO_PWSH_REASON}`);

const hosts: PwshStubHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});
const site = (role: 'primary' | 'replica') => {
  const host = pwshStubHost('vmm-server', {
    role,
    env: { DRKIT_STUB_VMM_USER: CREDENTIAL.username, DRKIT_STUB_VMM_PASSWORD: CREDENTIAL.password },
  });
  hosts.push(host);
  const adapter = createVmmAdapter({
    ssh: host.runner,
    endpoint: `vmm://svc@${role}`,
    credential: { username: CREDENTIAL.username, password: async () => CREDENTIAL.password },
  });
  return { host, adapter };
};

describe.skipIf(!PWSH)('VMM-to-VMM Hyper-V Replica, per VM', () => {
  it("drives the VM's relationship on the host VMM places it on, and runs a planned failover across the two sites", async () => {
    const primary = site('primary');
    const recovery = site('replica');
    await Promise.all([primary.adapter.connect(), recovery.adapter.connect()]);
    const here = await primary.adapter.hyperVReplica(SQL01);
    const there = await recovery.adapter.hyperVReplica(SQL01);
    expect([here.host, there.host]).toEqual(['hv01.corp.example', 'hv02.corp.example']);
    expect((await here.relationships()).find((r) => r.vmId === SQL01)).toMatchObject({
      mode: 'Primary',
      state: 'Replicating',
    });

    await plannedFailover(here, there, SQL01);
    expect((await there.relationships()).find((r) => r.vmId === SQL01)).toMatchObject({
      mode: 'Primary',
      state: 'Replicating',
    });
    expect((await here.relationships()).find((r) => r.vmId === SQL01)).toMatchObject({ state: 'PreparedForFailover' });
    // Each step went to the right host, the credential only as JSON on stdin.
    const steps = [...primary.host.calls, ...recovery.host.calls].filter((c) => c.name === 'hyperv.replica.action');
    expect(steps.map((c) => [c.input.action, c.input.computerName])).toEqual([
      ['prepare-failover', 'hv01.corp.example'],
      ['failover', 'hv02.corp.example'],
      ['reverse', 'hv02.corp.example'],
      ['start-vm', 'hv02.corp.example'],
    ]);
    expect(steps.every((c) => c.input.credential?.password === CREDENTIAL.password)).toBe(true);
    await Promise.all([primary.adapter.close(), recovery.adapter.close()]);
  });

  it('says which VM it does not know, and a host the server cannot reach is unreachable', async () => {
    const primary = site('primary');
    await primary.adapter.connect();
    await expect(primary.adapter.hyperVReplica('00000000-0000-4000-8000-000000000000')).rejects.toSatisfy(
      (e: unknown) => DrkitError.isInstance(e) && e.code === 'not-found',
    );
    // The same operations aimed at a host the server cannot reach.
    const elsewhere = new HyperVReplica(async () => powershellOverSsh(await primary.host.runner()), {
      computerName: 'hv99.corp.example',
    });
    await expect(elsewhere.relationships()).rejects.toSatisfy(
      (e: unknown) => DrkitError.isInstance(e) && e.code === 'unreachable' && /hv99/.test(e.message),
    );
    await primary.adapter.close();
  });
});
