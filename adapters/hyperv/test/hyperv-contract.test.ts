import { afterAll, describe, it } from 'vitest';
import { collectInventory } from '@drkit/core';
import { describeAdapterContract } from '@drkit/contract';
import { Redactor, recordSsh, replaySsh, type SshRecorder, type SshReplay } from '@drkit/record';
import { fakeHyperVHost } from '../../../test/harness/fake-hyperv-host.js';
import { createHyperVAdapter } from '../src/index.js';

const FIXTURE = new URL('../../../fixtures/hyperv/standalone-host/', import.meta.url).pathname;
const DISCOVERY = new URL('../../../fixtures/hyperv/discovery/', import.meta.url).pathname;
// `pnpm record:hyperv` sets this: the stub-host run below then records into the fixture.
const RECORD = process.env.DRKIT_RECORD_HYPERV === '1';

// No Windows and no pwsh here (the NuGet copy has no PowerShell tool): the host is a stub
// that answers drkit's fixed scripts as a Windows Server 2022 Hyper-V host does
// (test/harness/fake-hyperv-host.ts). The transcript of this run is the fixture replayed below.
describe('Hyper-V against a stub host (transcripts, no pwsh)', () => {
  const host = fakeHyperVHost();
  const recorder: SshRecorder | undefined = RECORD ? recordSsh(host.runner, FIXTURE, new Redactor({ hosts: ['hv01.corp.example', 'HV01'] })) : undefined;
  afterAll(async () => {
    await recorder?.finish({ adapter: 'hyperv', endpoint: 'hyperv://administrator@hv01.corp.example', product: 'Windows Server 2022 Datacenter, Hyper-V (stub host, test/harness/fake-hyperv-host.ts)', notes: 'recorded by pnpm record:hyperv' });
  });
  describeAdapterContract({
    name: 'hyperv (stub host)',
    adapter: () => createHyperVAdapter({ sshRunner: recorder ? () => recorder.connect() : host.runner, endpoint: 'hyperv://administrator@hv01' }),
    expect: { machines: 3, hosts: 1 },
  });
});

// One connect and one discovery on one connection: what `drkit discover --replay` plays.
describe.skipIf(!RECORD)('recording fixtures/hyperv/discovery', () => {
  it('records a discovery of the stub host', async () => {
    const recorder = recordSsh(fakeHyperVHost().runner, DISCOVERY, new Redactor({ hosts: ['hv01.corp.example', 'HV01'] }));
    const adapter = createHyperVAdapter({ sshRunner: () => recorder.connect(), endpoint: 'hyperv://administrator@hv01' });
    await adapter.connect();
    await collectInventory(adapter.site, adapter.discover());
    await adapter.close();
    await recorder.finish({ adapter: 'hyperv', endpoint: 'hyperv://administrator@hv01.corp.example', product: 'Windows Server 2022 Datacenter, Hyper-V (stub host, test/harness/fake-hyperv-host.ts)', notes: 'recorded by pnpm record:hyperv' });
  });
});

describe.skipIf(RECORD)('Hyper-V replaying fixtures/hyperv/standalone-host', () => {
  let replay: SshReplay | undefined;
  describeAdapterContract({
    name: 'hyperv (replay)',
    adapter: async () => {
      replay ??= await replaySsh(FIXTURE);
      const r = replay;
      return createHyperVAdapter({ sshRunner: () => r.connect(), endpoint: 'hyperv://replay' });
    },
    expect: { machines: 3, hosts: 1 },
  });
});
