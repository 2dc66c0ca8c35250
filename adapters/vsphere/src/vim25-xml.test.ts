import { describe, expect, it } from 'vitest';
import { DrkitError } from '@drkit/core';
import { SoapStreamReader, text, type XmlNode } from './vim25-xml.js';

const envelope = (inner: string) =>
  `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`;

function parse(xml: string, chunk = 7, reader = new SoapStreamReader()): SoapStreamReader {
  const bytes = Buffer.from(xml);
  for (let i = 0; i < bytes.length; i += chunk) reader.write(bytes.subarray(i, i + chunk));
  reader.end();
  return reader;
}

const isProtocol = (e: unknown) => DrkitError.isInstance(e) && e.code === 'protocol';

describe('the SOAP stream reader', () => {
  it('parses a response split at arbitrary byte boundaries, multi-byte characters included', () => {
    const r = parse(
      envelope(
        '<XResponse xmlns="urn:vim25"><returnval><name>Prüfung-数据</name><obj type="VirtualMachine">vm-1</obj></returnval></XResponse>',
      ),
      3,
    );
    expect(r.body?.name).toBe('XResponse');
    expect(text(r.body, 'returnval', 'name')).toBe('Prüfung-数据');
    const obj = r.body!.children[0]!.children[1]!;
    expect(obj.type).toBe('VirtualMachine');
  });

  it('keeps xsi:type without its prefix, and decodes the predefined entities', () => {
    const r = parse(envelope('<R><returnval><val xsi:type="xsd:string">a &amp; b &lt;c&gt;</val></returnval></R>'));
    const val = r.body!.children[0]!.children[0]!;
    expect(val.xsiType).toBe('string');
    expect(val.text).toBe('a & b <c>');
  });

  it('hands streamed elements over one by one and keeps none of them in the tree', () => {
    const seen: XmlNode[] = [];
    const objects = Array.from(
      { length: 50 },
      (_, i) => `<objects><obj type="VirtualMachine">vm-${i}</obj></objects>`,
    ).join('');
    const r = parse(
      envelope(`<R><returnval><token>t1</token>${objects}</returnval></R>`),
      64,
      new SoapStreamReader(4, new Set(['objects']), (n) => seen.push(n)),
    );
    expect(seen.map((n) => n.children[0]!.text)).toEqual(Array.from({ length: 50 }, (_, i) => `vm-${i}`));
    expect(r.body!.children[0]!.children.map((c) => c.name)).toEqual(['token']);
  });

  it('refuses a DOCTYPE, and with it any entity declaration (billion laughs)', () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><soapenv:Envelope xmlns:soapenv="x"><soapenv:Body><R>&lol2;</R></soapenv:Body></soapenv:Envelope>';
    expect(() => parse(bomb)).toThrow(/DOCTYPE/);
  });

  it('refuses an undeclared entity rather than passing it through', () => {
    expect(() => parse(envelope('<R>&xxe;</R>'))).toThrowError(expect.objectContaining({ code: 'protocol' }));
  });

  it('refuses malformed XML and invalid UTF-8 with a protocol error', () => {
    let error: unknown;
    try {
      parse(envelope('<R><a></b></R>'));
    } catch (e) {
      error = e;
    }
    expect(isProtocol(error)).toBe(true);
    const reader = new SoapStreamReader();
    expect(() => reader.write(Buffer.from([0x3c, 0xff, 0xfe]))).toThrow();
  });

  it('stops reading past the size limits', () => {
    const big = new SoapStreamReader(-1, new Set(), () => {}, { maxBytes: 1000 });
    expect(() => parse(envelope(`<R>${'x'.repeat(2000)}</R>`), 100, big)).toThrow(/larger than 1000 bytes/);
    const long = new SoapStreamReader(-1, new Set(), () => {}, { maxText: 100 });
    expect(() => parse(envelope(`<R>${'x'.repeat(200)}</R>`), 50, long)).toThrow(/longer than 100/);
  });
});
