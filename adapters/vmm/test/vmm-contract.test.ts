import { afterAll, describe, it } from 'vitest';
import { collectInventory } from '@drkit/core';
import { describeAdapterContract } from '@drkit/contract';
import { Redactor, recordSsh, replaySsh, type SshRecorder, type SshReplay } from '@drkit/record';
import { fakeVmmHost } from '../../../test/harness/fake-vmm-host.js';
import { createVmmAdapter } from '../src/index.js';

const FIXTURE = new URL('../../../fixtures/vmm/vmm-server/', import.meta.url).pathname;
const DISCOVERY = new URL('../../../fixtures/vmm/discovery/', import.meta.url).pathname;
// `pnpm record:vmm` sets this: the stub run below then records into the fixture.
const RECORD = process.env.DRKIT_RECORD_VMM === '1';
const CREDENTIAL = { username: 'CORP\\svc-drkit', password: 'vmm-canary-Pa55w0rd' };

// No Windows, no VMM, no pwsh here: the server is a stub answering drkit's fixed scripts as
// a VMM 2022 server would (test/harness/fake-vmm-host.ts); its transcript is the fixture.
describe('VMM against a stub server (transcripts, no pwsh)', () => {
  const host = fakeVmmHost(CREDENTIAL);
  const recorder: SshRecorder | undefined = RECORD ? recordSsh(host.runner, FIXTURE, new Redactor({ secrets: [CREDENTIAL.password], hosts: ['vmm01.corp.example'] })) : undefined;
  afterAll(async () => {
    await recorder?.finish({ adapter: 'vmm', endpoint: 'vmm://svc@vmm01.corp.example', product: 'System Center VMM 2022 (stub server, test/harness/fake-vmm-host.ts)', notes: 'recorded by pnpm record:vmm' });
  });
  describeAdapterContract({
    name: 'vmm (stub server)',
    adapter: () => createVmmAdapter({ ssh: recorder ? () => recorder.connect() : host.runner, endpoint: 'vmm://svc@vmm01', credential: { username: CREDENTIAL.username, password: async () => CREDENTIAL.password } }),
    expect: { machines: 2, hosts: 2 },
  });
});

// One connect and one discovery, logged in as the SSH user (no credential): what
// `drkit discover --replay fixtures/vmm/discovery` plays.
describe.skipIf(!RECORD)('recording fixtures/vmm/discovery', () => {
  it('records a discovery of the stub server', async () => {
    const recorder = recordSsh(fakeVmmHost().runner, DISCOVERY, new Redactor({ hosts: ['vmm01.corp.example'] }));
    const adapter = createVmmAdapter({ ssh: () => recorder.connect(), endpoint: 'vmm://svc@vmm01' });
    await adapter.connect();
    await collectInventory(adapter.site, adapter.discover());
    await adapter.close();
    await recorder.finish({ adapter: 'vmm', endpoint: 'vmm://svc@vmm01.corp.example', product: 'System Center VMM 2022 (stub server, test/harness/fake-vmm-host.ts)', notes: 'recorded by pnpm record:vmm' });
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
      return createVmmAdapter({ ssh: () => r.connect(), endpoint: 'vmm://replay', credential: { username: CREDENTIAL.username, password: async () => CREDENTIAL.password } });
    },
    expect: { machines: 2, hosts: 2 },
  });
});
