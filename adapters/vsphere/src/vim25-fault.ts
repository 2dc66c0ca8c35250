import { DrkitError, type DrkitErrorCode } from '@drkit/core';
import { child, text, type XmlNode } from './vim25-xml.js';

/**
 * vim25 fault name → drkit error code. Names are the MethodFault subtypes of the vSphere
 * Web Services API reference; unknown ones stay `platform` with the name kept in `fault`.
 */
const CODES: Record<string, DrkitErrorCode> = {
  NotAuthenticated: 'session-expired',
  InvalidLogin: 'auth-failed',
  InvalidLocale: 'bad-input',
  NoPermission: 'permission-denied',
  RestrictedVersion: 'permission-denied',
  ManagedObjectNotFound: 'not-found',
  NotFound: 'not-found',
  InvalidArgument: 'bad-input',
  InvalidRequest: 'protocol',
  InvalidType: 'protocol',
  MethodNotFound: 'unsupported',
  NotImplemented: 'unsupported',
  NotSupported: 'unsupported',
  InvalidState: 'invalid-state',
  InvalidPowerState: 'invalid-state',
  InvalidDatastoreState: 'invalid-state',
  InvalidVmState: 'invalid-state',
  TooManySnapshotLevels: 'invalid-state',
  SnapshotLocked: 'busy',
  TaskInProgress: 'busy',
  ConcurrentAccess: 'busy',
  HostCommunication: 'unreachable',
  HostNotConnected: 'unreachable',
  HostNotReachable: 'unreachable',
  RequestCanceled: 'aborted',
  ApplicationQuiesceFault: 'platform',
  FilesystemQuiesceFault: 'platform',
};

/** Builds a typed error from a soapenv:Fault element. */
export function faultToError(fault: XmlNode, method: string): DrkitError {
  const faultstring = text(fault, 'faultstring') ?? '';
  const detail = child(fault, 'detail')?.children[0];
  // <detail><NotAuthenticatedFault xsi:type="NotAuthenticated">…: the type names the fault.
  const name = detail?.xsiType ?? detail?.name.replace(/Fault$/, '') ?? 'Unknown';
  const code = CODES[name] ?? 'platform';
  const message =
    code === 'auth-failed'
      ? `${method}: login refused (${name})`
      : `${method}: ${name}${faultstring ? ` — ${faultstring}` : ''}`;
  const details: Record<string, unknown> = {};
  const obj = child(detail, 'obj') ?? child(detail, 'object');
  if (obj?.type) details.object = `${obj.type}:${obj.text}`;
  return new DrkitError(code, message, { fault: name, details });
}
