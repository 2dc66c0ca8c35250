/**
 * Writes fixtures/vsphere/cbt-changed-areas: QueryChangedDiskAreas exchanges shaped as the
 * vSphere Web Services reference documents them (DiskChangeInfo: startOffset, length,
 * changedArea[start, length]; a FileFault for a changeId the disk no longer knows). The
 * simulator has no such method, so a small local SOAP endpoint plays vCenter here and the
 * recorder captures drkit's real requests to it:
 *   pnpm tsx test/harness/record-cbt-fixture.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { createHttpTransport } from '@drkit/http';
import { Redactor, recordHttp } from '@drkit/record';
import { Vim25Client, changedAreas } from '@drkit/vsphere';

const DIR = new URL('../../fixtures/vsphere/cbt-changed-areas/', import.meta.url).pathname;
const GiB = 2 ** 30;
const MiB = 2 ** 20;
const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const info = (start: number, length: number, areas: Array<[number, number]>) =>
  envelope(
    `<QueryChangedDiskAreasResponse xmlns="urn:vim25"><returnval><startOffset>${start}</startOffset><length>${length}</length>${areas.map(([s, l]) => `<changedArea><start>${s}</start><length>${l}</length></changedArea>`).join('')}</returnval></QueryChangedDiskAreasResponse>`,
  );
const fileFault = envelope(
  '<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Error caused by file /vmfs/volumes/5f1e2d3c-4b5a6978-0a1b-2c3d4e5f6a7b/db01/db01-ctk.vmdk</faultstring><detail><FileFaultFault xmlns="urn:vim25" xsi:type="FileFault"><file>/vmfs/volumes/5f1e2d3c-4b5a6978-0a1b-2c3d4e5f6a7b/db01/db01-ctk.vmdk</file></FileFaultFault></detail></soapenv:Fault>',
);

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const start = Number(/<startOffset>(\d+)</.exec(body)?.[1]);
    const changeId = /<changeId>([^<]*)</.exec(body)?.[1] ?? '';
    let answer: string;
    let status = 200;
    if (changeId.endsWith('/77')) {
      // A changeId the disk's tracking file no longer holds.
      answer = fileFault;
      status = 500;
    } else if (start === 0)
      answer = info(0, 512 * MiB, [
        [1 * MiB, 64 * 1024],
        [300 * MiB, 128 * 1024],
      ]);
    else answer = info(512 * MiB, 512 * MiB, [[1000 * MiB, 1 * MiB]]);
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' });
    res.end(answer);
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as AddressInfo;
await rm(DIR, { recursive: true, force: true });
const recorder = await recordHttp(createHttpTransport({ url: `http://127.0.0.1:${port}` }), DIR, new Redactor());
const client = new Vim25Client(recorder);
const query = {
  client,
  vm: async () => ({ type: 'VirtualMachine', value: 'vm-1042' }),
  snapshot: { type: 'VirtualMachineSnapshot', value: 'snapshot-1187' },
  deviceKey: '2000',
  sizeBytes: GiB,
  currentChangeId: '52 3c 6e 1a 9b 7d 40 2f-8a 11 c4 5e 70 d2 19 2a/135',
};
await changedAreas(query, '52 3c 6e 1a 9b 7d 40 2f-8a 11 c4 5e 70 d2 19 2a/120');
await changedAreas(query, '52 3c 6e 1a 9b 7d 40 2f-8a 11 c4 5e 70 d2 19 2a/77');
await recorder.finish({
  adapter: 'vsphere',
  product: 'vSphere API 7.0 QueryChangedDiskAreas, shaped after the Web Services reference (not a live vCenter)',
  endpoint: 'vsphere://vcenter.example.invalid/sdk',
  notes: 'written by test/harness/record-cbt-fixture.ts',
});
server.close();
console.log('wrote', DIR);
