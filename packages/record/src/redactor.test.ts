import { describe, expect, it } from 'vitest';
import { Redactor } from './redactor.js';

describe('the redactor', () => {
  it('hides caller-named secrets in raw, XML-escaped, URL-encoded, JSON and base64 forms', () => {
    const secret = 'p&ss<w"rd/?';
    const r = new Redactor({ secrets: [secret] });
    const forms = [
      secret,
      'p&amp;ss&lt;w&quot;rd/?',
      encodeURIComponent(secret),
      JSON.stringify(secret),
      Buffer.from(secret).toString('base64'),
    ];
    for (const form of forms) expect(r.text(`before ${form} after`)).not.toContain(form.replace(/^"|"$/g, ''));
  });

  it('replaces password and user-name elements and JSON fields, whatever their value', () => {
    const r = new Redactor();
    expect(r.text('<Login><userName>alice</userName><password>s3cret!</password></Login>')).toBe(
      '<Login><userName>«redacted»</userName><password>«redacted»</password></Login>',
    );
    expect(r.text('{"username":"alice","password":"x\\"y"}')).toBe('{"username":"«redacted»","password":"«redacted»"}');
  });

  it('learns a user name as a whole word only, so `root` does not shred `rootFolder`', () => {
    const r = new Redactor();
    r.text('<userName>root</userName>');
    expect(r.text('<rootFolder>group-d1</rootFolder><fullName>root</fullName>')).toBe(
      '<rootFolder>group-d1</rootFolder><fullName>«value-1»</fullName>',
    );
  });

  it('learns session cookies from headers and hides them when a body repeats them', () => {
    const r = new Redactor();
    const headers = r.headers({ 'Set-Cookie': 'vmware_soap_session="52a1c0ffee"; Path=/; HttpOnly; Secure' });
    expect(headers['set-cookie']).toBe('vmware_soap_session="«secret-1»"; Path=/; HttpOnly; Secure');
    expect(r.text('<key>52a1c0ffee</key>')).toBe('<key>«secret-1»</key>');
    expect(r.headers({ authorization: 'Bearer abc.def.ghi' }).authorization).toBe('Bearer «secret-2»');
  });

  it('maps addresses and hosts consistently onto documentation ranges, so links survive', () => {
    const r = new Redactor({ hosts: ['vc01.corp.example'] });
    const out = r.text('vc01.corp.example 10.1.2.3 10.1.2.4 10.1.2.3 fe80::1:2 6.5.0 2001:db8::7');
    expect(out).toBe('host-1.example.invalid 192.0.2.1 192.0.2.2 192.0.2.1 2001:db8::1 6.5.0 2001:db8::7');
  });

  it('hides certificate thumbprints in colon and bare-hex forms', () => {
    const r = new Redactor();
    const sha1 = Array.from({ length: 20 }, (_, i) => (i + 16).toString(16).toUpperCase()).join(':');
    const sha256 = 'ab'.repeat(32);
    expect(r.text(`<sslThumbprint>${sha1}</sslThumbprint> ${sha256}`)).toBe(
      '<sslThumbprint>«thumbprint-1»</sslThumbprint> «thumbprint-2»',
    );
  });

  it('maps MAC addresses into the documentation block, not onto IPv6', () => {
    const r = new Redactor();
    expect(
      r.text(
        '"address":"52:54:00:12:34:56","broadcast":"ff:ff:ff:ff:ff:ff","lo":"00:00:00:00:00:00" 52:54:00:12:34:56',
      ),
    ).toBe('"address":"00:00:5e:00:53:01","broadcast":"ff:ff:ff:ff:ff:ff","lo":"00:00:00:00:00:00" 00:00:5e:00:53:01');
  });

  it('replaces host names as whole names only, so a host called `vm` leaves `libvmx` alone', () => {
    const r = new Redactor({ hosts: ['vm'] });
    expect(r.text('uname -n: vm; vm.lab.local; libvmx; vm-2')).toBe(
      'uname -n: host-1.example.invalid; host-1.example.invalid.lab.local; libvmx; vm-2',
    );
  });
});
