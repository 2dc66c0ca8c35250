import { afterAll, describe, it } from 'vitest';
import { collectInventory } from '@drkit/core';
import { describeRecordedContract } from '@drkit/contract';
import { Redactor, recordSsh } from '@drkit/record';
import { NO_PWSH_REASON, PWSH, pwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { createHyperVAdapter, hypervAdapter } from '../src/index.js';

const FIXTURE = new URL('../../../fixtures/hyperv/standalone-host/', import.meta.url).pathname;
const DISCOVERY = new URL('../../../fixtures/hyperv/discovery/', import.meta.url).pathname;
// `pnpm record:hyperv` sets this: the stub-host run below then records into the fixture.
const RECORD = process.env.DRKIT_RECORD_HYPERV === '1';

const PRODUCT =
  'Windows Server 2022 Datacenter, Hyper-V (stub host in real pwsh 7: test/harness/pwsh-stub/hyperv-host.ps1)';

// No Windows here: drkit's scripts run unchanged in REAL pwsh against a stub Hyper-V host
// (the module's cmdlets and the WMI classes mocked after Microsoft's documentation). The
// transcript of this run is the fixture the replay half runs against.
const host = PWSH ? pwshStubHost('hyperv-host') : undefined;
afterAll(() => host?.dispose());
describeRecordedContract(hypervAdapter, {
  fixture: FIXTURE,
  expect: { machines: 4, hosts: 1 },
  live: {
    name: 'a stub host in real pwsh',
    ...(!PWSH && { skip: NO_PWSH_REASON }),
    start: () => ({ transport: host!.runner, endpoint: { display: 'hyperv://administrator@hv01' } }),
    ...(RECORD && {
      record: () => ({
        redactor: new Redactor({ hosts: ['hv01.corp.example', 'HV01'] }),
        endpoint: 'hyperv://administrator@hv01.corp.example',
        product: PRODUCT,
        notes: 'recorded by pnpm record:hyperv',
      }),
    }),
  },
});

// One connect and one discovery on one connection: what `drkit discover --replay` plays.
describe.skipIf(!RECORD || !PWSH)('recording fixtures/hyperv/discovery', () => {
  it('records a discovery of the stub host', async () => {
    const host = pwshStubHost('hyperv-host');
    const recorder = recordSsh(host.runner, DISCOVERY, new Redactor({ hosts: ['hv01.corp.example', 'HV01'] }));
    const adapter = createHyperVAdapter({
      sshRunner: () => recorder.connect(),
      endpoint: 'hyperv://administrator@hv01',
    });
    await adapter.connect();
    await collectInventory(adapter.site, adapter.discover());
    await adapter.close();
    await recorder.finish({
      adapter: 'hyperv',
      endpoint: 'hyperv://administrator@hv01.corp.example',
      product: PRODUCT,
      notes: 'recorded by pnpm record:hyperv',
    });
    host.dispose();
  });
});
