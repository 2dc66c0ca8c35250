import { afterAll, describe, it } from 'vitest';
import { collectInventory } from '@drkit/core';
import { describeRecordedContract } from '@drkit/contract';
import { Redactor, recordSsh } from '@drkit/record';
import { NO_PWSH_REASON, PWSH, pwshStubHost, type PwshStubHost } from '../../../test/harness/pwsh-stub-host.js';
import { createVmmAdapter, vmmAdapter } from '../src/index.js';

const FIXTURE = new URL('../../../fixtures/vmm/vmm-server/', import.meta.url).pathname;
const DISCOVERY = new URL('../../../fixtures/vmm/discovery/', import.meta.url).pathname;
// `pnpm record:vmm` sets this: the stub run below then records into the fixture.
const RECORD = process.env.DRKIT_RECORD_VMM === '1';
const CREDENTIAL = { username: 'CORP\\svc-drkit', password: 'vmm-canary-Pa55w0rd' };

const PRODUCT =
  'System Center VMM 2022 (stub server in real pwsh 7: test/harness/pwsh-stub/modules/virtualmachinemanager)';
const stub = (env: Record<string, string> = {}) => pwshStubHost('vmm-server', { env });

// No Windows and no VMM here: drkit's scripts run unchanged in REAL pwsh against a stub
// virtualmachinemanager module (after the cmdlet reference); its transcript is the fixture.
// The live run connects to VMM with a run-as account (--run-as), as the CLI would.
let host: PwshStubHost | undefined;
afterAll(() => host?.dispose());
describeRecordedContract(vmmAdapter, {
  fixture: FIXTURE,
  expect: { machines: 2, hosts: 2 },
  live: {
    name: 'a stub server in real pwsh',
    ...(!PWSH && { skip: NO_PWSH_REASON }),
    start() {
      host = stub({ DRKIT_STUB_VMM_USER: CREDENTIAL.username, DRKIT_STUB_VMM_PASSWORD: CREDENTIAL.password });
      return {
        transport: host.runner,
        endpoint: { display: 'vmm://svc@vmm01' },
        secret: async () => CREDENTIAL.password,
        options: { runAs: CREDENTIAL.username },
      };
    },
    ...(RECORD && {
      record: () => ({
        redactor: new Redactor({ secrets: [CREDENTIAL.password], hosts: ['vmm01.corp.example'] }),
        endpoint: 'vmm://svc@vmm01.corp.example',
        product: PRODUCT,
        notes: 'recorded by pnpm record:vmm',
      }),
    }),
  },
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
