import { describe, expect, it } from 'vitest';
import { faultToError } from './vim25-fault.js';
import { SoapStreamReader } from './vim25-xml.js';

function fault(detail: string, faultstring = 'msg') {
  const xml = `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${faultstring}</faultstring><detail>${detail}</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
  const r = new SoapStreamReader();
  r.write(Buffer.from(xml));
  r.end();
  return faultToError(r.body!, 'Method');
}

describe('vim25 fault mapping', () => {
  it.each([
    ['NotAuthenticated', 'session-expired', true],
    ['InvalidLogin', 'auth-failed', false],
    ['NoPermission', 'permission-denied', false],
    ['ManagedObjectNotFound', 'not-found', false],
    ['InvalidPowerState', 'invalid-state', false],
    ['TaskInProgress', 'busy', true],
    ['ApplicationQuiesceFault', 'platform', false],
    ['SomethingNew', 'platform', false],
  ])('%s → %s (retryable: %s), keeping the fault name', (name, code, retryable) => {
    const e = fault(
      `<${name}Fault xmlns="urn:vim25" xsi:type="${name}"><obj type="VirtualMachine">vm-9</obj></${name}Fault>`,
    );
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.fault).toBe(name);
  });

  it('names the fault from the element when the server gives no xsi:type', () => {
    expect(fault('<InvalidStateFault xmlns="urn:vim25"/>').fault).toBe('InvalidState');
  });

  it('never echoes the server text of a refused login, which may repeat the user name', () => {
    expect(
      fault('<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"/>', 'Cannot complete login for user bob')
        .message,
    ).not.toContain('bob');
  });
});
