import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '@drkit/core';
import { sshdAvailable, startSshd, type Sshd } from '../../../test/harness/sshd.js';
import { drkit } from './run-drkit.js';

const FIXTURE = new URL('../../../fixtures/hyperv/discovery', import.meta.url).pathname;
const VMM_FIXTURE = new URL('../../../fixtures/vmm/discovery', import.meta.url).pathname;

describe('drkit and Hyper-V hosts', () => {
  it("discovers a recorded VMM server (the stub server's transcript) with --replay, VMs placed in their cloud", async () => {
    const run = await drkit(['discover', '--replay', VMM_FIXTURE, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const inv = JSON.parse(run.stdout) as Inventory;
    expect(inv.site.adapter).toBe('vmm');
    expect(inv.machines.map((m) => [m.name, m.placement?.cloud])).toEqual([
      ['SQL01', 'Tier1-Cloud'],
      ['APP01', 'Tier1-Cloud'],
    ]);
  });

  it("discovers a recorded Hyper-V host (the stub host's transcript) with --replay", async () => {
    const run = await drkit(['discover', '--replay', FIXTURE, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const inv = JSON.parse(run.stdout) as Inventory;
    expect(inv.site.adapter).toBe('hyperv');
    expect(inv.machines.map((m) => m.name).sort()).toEqual(['DC01', 'LEGACY-APP', 'SQL01', 'WEB01']);
  });
});

// hyperv:// goes through the same SSH login as ssh://: a real sshd (Linux, so no PowerShell
// behind it) shows the host key is checked first and a host without PowerShell is named so.
describe.skipIf(!sshdAvailable())('hyperv:// over a real sshd', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(() => sshd?.stop());

  it('refuses an unknown host key before any credential is sent', async () => {
    const run = await drkit([
      'discover',
      `hyperv://root@127.0.0.1:${sshd.port}`,
      '--identity',
      sshd.clientKeyFile,
      '--known-hosts',
      '/dev/null',
    ]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/SHA256:/);
  });

  it('says plainly when the host has no PowerShell', async () => {
    const run = await drkit([
      'discover',
      `hyperv://root@127.0.0.1:${sshd.port}`,
      '--identity',
      sshd.clientKeyFile,
      '--known-hosts',
      sshd.knownHostsFile,
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/powershell\.exe|hyperv\.probe/);
  });
});
