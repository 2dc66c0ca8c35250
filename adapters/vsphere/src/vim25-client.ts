import { DrkitError, throwIfAborted } from '@drkit/core';
import { headerValue, type HttpResponse, type HttpTransport } from '@drkit/http';
import { faultToError } from './vim25-fault.js';
import { SoapStreamReader, xmlEscape, type XmlNode } from './vim25-xml.js';

export interface MoRef {
  type: string;
  value: string;
}

export function moref(type: string, value: string): MoRef {
  return { type, value };
}

export function morefXml(name: string, ref: MoRef): string {
  return `<${name} type="${xmlEscape(ref.type)}">${xmlEscape(ref.value)}</${name}>`;
}

/**
 * Methods safe to send twice: reads and session calls. When a pooled keep-alive socket
 * turns out to be closed by the server (vCenter's reverse proxy drops idle ones) before any
 * response byte, these are resent once. Task-creating methods never are: a resent
 * CreateSnapshot_Task could make two snapshots.
 */
const SAFE_TO_RESEND = new Set([
  'RetrieveServiceContent',
  'RetrievePropertiesEx',
  'CreateContainerView',
  'DestroyView',
  'Login',
  'Logout',
  'CurrentTime',
]);

export interface InvokeOptions {
  signal?: AbortSignal;
  /** Stream elements at this depth below the method response (1 = children of returnval). */
  stream?: { names: ReadonlySet<string>; onElement: (node: XmlNode) => void };
}

/**
 * A minimal typed vim25 SOAP client: hand-written envelopes, no runtime WSDL (as govmomi
 * and pyVmomi do), one session cookie, streaming responses. Knows nothing of sessions
 * beyond carrying the cookie; vsphere-session.ts logs in and out.
 */
export class Vim25Client {
  #cookie: string | undefined;
  #soapAction = 'urn:vim25/6.5';

  constructor(
    readonly transport: HttpTransport,
    readonly path = '/sdk',
  ) {}

  /** The API version the server speaks, from ServiceContent.about.apiVersion. */
  setApiVersion(version: string): void {
    if (/^\d+\.\d+(\.\d+)*$/.test(version)) this.#soapAction = `urn:vim25/${version}`;
  }

  get hasSession(): boolean {
    return this.#cookie !== undefined;
  }

  /** The session cookie, for datastore HTTP access. Never logged. */
  get cookie(): string | undefined {
    return this.#cookie;
  }

  clearSession(): void {
    this.#cookie = undefined;
  }

  /**
   * Calls `method` on `thisRef` with pre-serialized parameters (already escaped). Returns
   * the `<method>Response` element; streamed elements are not in it.
   */
  async invoke(method: string, thisRef: MoRef, paramsXml = '', options: InvokeOptions = {}): Promise<XmlNode> {
    throwIfAborted(options.signal);
    const envelope =
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">' +
      `<soapenv:Body><${method} xmlns="urn:vim25">${morefXml('_this', thisRef)}${paramsXml}</${method}></soapenv:Body></soapenv:Envelope>`;
    const headers: Record<string, string> = {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: this.#soapAction,
    };
    if (this.#cookie) headers.cookie = this.#cookie;
    const send = () =>
      this.transport.request({ method: 'POST', path: this.path, headers, body: envelope, signal: options.signal });
    let response: HttpResponse;
    try {
      response = await send();
    } catch (error) {
      const staleSocket = DrkitError.isInstance(error) && error.fault === 'UND_ERR_SOCKET';
      if (!staleSocket || !SAFE_TO_RESEND.has(method)) throw error;
      response = await send();
    }

    const setCookie = headerValue(response.headers, 'set-cookie');
    const session = setCookie && /vmware_soap_session=("[^"]*"|[^;]*)/.exec(setCookie);
    if (session) this.#cookie = `vmware_soap_session=${session[1]}`;

    const contentType = headerValue(response.headers, 'content-type') ?? '';
    if (!contentType.includes('xml')) {
      response.cancel();
      throw new DrkitError(
        response.status === 503 ? 'busy' : 'protocol',
        `${method}: HTTP ${response.status} with ${contentType || 'no'} content`,
        {
          fault: `HTTP ${response.status}`,
        },
      );
    }
    // Envelope(0) > Body(1) > Response(2) > returnval(3) > streamed(4)
    const reader = new SoapStreamReader(4, options.stream?.names, options.stream?.onElement);
    try {
      for await (const chunk of response.body) reader.write(chunk);
      reader.end();
    } catch (error) {
      response.cancel();
      throw error;
    }
    const body = reader.body;
    if (!body) throw new DrkitError('protocol', `${method}: HTTP ${response.status} without a SOAP body`);
    if (body.name === 'Fault') throw faultToError(body, method);
    if (response.status !== 200) throw new DrkitError('protocol', `${method}: HTTP ${response.status}`);
    return body;
  }
}
