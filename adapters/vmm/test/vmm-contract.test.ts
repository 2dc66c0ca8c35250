import { afterAll, describe, it } from 'vitest';
import { collectInventory } from '@drkit/core';
import { describeAdapterContract } from '@drkit/contract';
import { Redactor, recordSsh, replaySsh, type SshRecorder, type SshReplay } from '@drkit/record';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { createVmmAdapter } from '../src/index.js';

const FIXTURE = new URL('../../../fixtures/vmm/vmm-server/', import.meta.url).pathname;
const DISCOVERY = new URL('../../../fixtures/vmm/discovery/', import.meta.url).pathname;
// `pnpm record:vmm` sets this: the stub run below then records into the fixture.
const RECORD = process.env.DRKIT_RECORD_VMM === '1';
const CREDENTIAL = { username: 'CORP\\svc-drkit', password: 'vmm-canary-Pa55w0rd' };

const PRODUCT =
  'System Center VMM 2022 (stub server in real pwsh 7: test/harness/pwsh-stub/modules/virtualmachinemanager)';
const stub = (env: Record<string, string> = {}) => pwshStubHost('vmm-server', { env });
if (!PWSH) console.warn(`VMM live contract skipped: ${NO_PWSH_REASON}; the replay below still runs`);

// No Windows and no VMM here: drkit's scripts run unchanged in REAL pwsh against a stub
// virtualmachinemanager module (after the cmdlet reference); its transcript is the fixture.
describe.skipIf(!PWSH)('VMM against a stub server in real pwsh', () => {
  const host = PWSH
    ? stub({ DRKIT_STUB_VMM_USER: CREDENTIAL.username, DRKIT_STUB_VMM_PASSWORD: CREDENTIAL.password })
    : (undefined as unknown as PwshStubHost);
  const recorder: SshRecorder | undefined = RECORD
    ? recordSsh(host.runner, FIXTURE, new Redactor({ secrets: [CREDENTIAL.password], hosts: ['vmm01.corp.example'] }))
    : undefined;
  afterAll(async () => {
    await recorder?.finish({
      adapter: 'vmm',
      endpoint: 'vmm://svc@vmm01.corp.example',
      product: PRODUCT,
      notes: 'recorded by pnpm record:vmm',
    });
    host.dispose();
  });
  describeAdapterContract({
    name: 'vmm (stub server)',
    adapter: () =>
      createVmmAdapter({
        ssh: recorder ? () => recorder.connect() : host.runner,
        endpoint: 'vmm://svc@vmm01',
        credential: { username: CREDENTIAL.username, password: async () => CREDENTIAL.password },
      }),
    expect: { machines: 2, hosts: 2 },
  });
});

// One connect and one discovery, logged in as the SSH user (no credential): what
// `drkit discover --replay fixtures/vmm/discovery` plays.
describe.skipIf(!RECORD || !PWSH)('recording fixtures/vmm/discovery', () => {
  it('records a discovery of the stub server', async () => {
    const host = stub();
    const recorder = recordSsh(host.runner, DISCOVERY, new Redactor({ hosts: ['vmm01.corp.example'] }));
    const adapter = createVmmAdapter({ ssh: () => recorder.connect(), endpoint: 'vmm://svc@vmm01' });
    await adapter.connect();
    await collectInventory(adapter.site, adapter.discover());
    await adapter.close();
    await recorder.finish({
      adapter: 'vmm',
      endpoint: 'vmm://svc@vmm01.corp.example',
      product: PRODUCT,
      notes: 'recorded by pnpm record:vmm',
    });
    host.dispose();
  });
});

describe.skipIf(RECORD)('VMM replaying fixtures/vmm/vmm-server', () => {
  let replay: SshReplay | undefined;
  describeAdapterContract({
    name: 'vmm (replay)',
    adapter: async () => {
      replay ??= await replaySsh(FIXTURE);
      const r = replay;
      // The password is redacted in the recording; replay compares it redacted.
      return createVmmAdapter({
        ssh: () => r.connect(),
        endpoint: 'vmm://replay',
        credential: { username: CREDENTIAL.username, password: async () => CREDENTIAL.password },
      });
    },
    expect: { machines: 2, hosts: 2 },
  });
});
