import { readFile } from 'node:fs/promises';
import { DrkitError } from '@drkit/core';
import type { AzureLocation } from './azure-location.js';

/** Where a credential may come from: files named on the command line, or the environment. */
export interface AzureCredentialSources {
  connectionStringFile?: string;
  accountKeyFile?: string;
  sasFile?: string;
  /** `https://<account>.blob.core.windows.net` by default; Azurite or a sovereign cloud otherwise. */
  blobEndpoint?: string;
}

export type AzureCredential =
  | { kind: 'key'; accountKey: string }
  | { kind: 'sas'; sas: string }
  /** A store opened by a program that brings its own (e.g. a token credential). */
  | { kind: 'none' };

export interface AzureAccess {
  /** The account's blob endpoint, no trailing slash, never a query. */
  endpoint: string;
  credential: AzureCredential;
  /** Where the credential came from, for messages (never the value). */
  source: string;
}

/**
 * Resolves the credential for a location: a connection string (--connection-string-file
 * or AZURE_STORAGE_CONNECTION_STRING), an account key (--account-key-file or
 * AZURE_STORAGE_KEY) or a SAS (--sas-file or AZURE_STORAGE_SAS_TOKEN) — files first, then
 * the environment. Secrets never come from the URL or the command line itself.
 */
export async function resolveAzureAccess(
  location: AzureLocation,
  sources: AzureCredentialSources,
  env: Record<string, string | undefined>,
): Promise<AzureAccess> {
  const given = [sources.connectionStringFile, sources.accountKeyFile, sources.sasFile].filter(Boolean);
  if (given.length > 1)
    throw new DrkitError('bad-input', 'choose one of --connection-string-file, --account-key-file and --sas-file');
  let endpoint = sources.blobEndpoint ? checkEndpoint(sources.blobEndpoint) : undefined;
  const fromConnection = async (text: string, source: string): Promise<AzureAccess> => {
    const cs = parseConnectionString(text, source);
    if (cs.AccountName && cs.AccountName !== location.account)
      throw new DrkitError(
        'bad-input',
        `${source} is for account ${cs.AccountName}, the location names ${location.account}`,
      );
    endpoint ??= cs.BlobEndpoint
      ? checkEndpoint(cs.BlobEndpoint)
      : `${cs.DefaultEndpointsProtocol ?? 'https'}://${location.account}.blob.${cs.EndpointSuffix ?? 'core.windows.net'}`;
    if (cs.AccountKey)
      return { endpoint, credential: { kind: 'key', accountKey: checkKey(cs.AccountKey, source) }, source };
    if (cs.SharedAccessSignature)
      return { endpoint, credential: { kind: 'sas', sas: checkSas(cs.SharedAccessSignature, source) }, source };
    throw new DrkitError('bad-input', `${source} holds neither an AccountKey nor a SharedAccessSignature`);
  };
  const def = () => endpoint ?? `https://${location.account}.blob.core.windows.net`;
  if (sources.connectionStringFile)
    return fromConnection(await secretFile(sources.connectionStringFile), sources.connectionStringFile);
  if (sources.accountKeyFile) {
    const key = checkKey(await secretFile(sources.accountKeyFile), sources.accountKeyFile);
    return { endpoint: def(), credential: { kind: 'key', accountKey: key }, source: sources.accountKeyFile };
  }
  if (sources.sasFile) {
    const sas = checkSas(await secretFile(sources.sasFile), sources.sasFile);
    return { endpoint: def(), credential: { kind: 'sas', sas }, source: sources.sasFile };
  }
  if (env.AZURE_STORAGE_CONNECTION_STRING)
    return fromConnection(env.AZURE_STORAGE_CONNECTION_STRING, 'AZURE_STORAGE_CONNECTION_STRING');
  if (env.AZURE_STORAGE_KEY)
    return {
      endpoint: def(),
      credential: { kind: 'key', accountKey: checkKey(env.AZURE_STORAGE_KEY, 'AZURE_STORAGE_KEY') },
      source: 'AZURE_STORAGE_KEY',
    };
  if (env.AZURE_STORAGE_SAS_TOKEN)
    return {
      endpoint: def(),
      credential: { kind: 'sas', sas: checkSas(env.AZURE_STORAGE_SAS_TOKEN, 'AZURE_STORAGE_SAS_TOKEN') },
      source: 'AZURE_STORAGE_SAS_TOKEN',
    };
  throw new DrkitError(
    'bad-input',
    `no credential for ${location.display}: give --connection-string-file, --account-key-file or --sas-file (or set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN)`,
  );
}

async function secretFile(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new DrkitError('bad-input', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause: error,
    });
  }
}

/** `Key=Value;…` (a value may hold `=`); the names as Azure writes them. */
function parseConnectionString(text: string, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.trim().split(';')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new DrkitError('bad-input', `${source} is not a storage connection string`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function checkEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DrkitError('bad-input', `--blob-endpoint ${value} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new DrkitError('bad-input', `--blob-endpoint must be http(s), not ${url.protocol}`);
  if (url.search || url.username || url.password)
    throw new DrkitError('bad-input', '--blob-endpoint carries no query or user: credentials come from a file');
  return url.href.replace(/\/+$/, '');
}

function checkKey(value: string, source: string): string {
  const key = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || Buffer.from(key, 'base64').length < 16)
    throw new DrkitError('bad-input', `${source} does not hold a storage account key (base64)`);
  return key;
}

function checkSas(value: string, source: string): string {
  const sas = value.trim().replace(/^\?/, '');
  if (!/(^|&)sig=/.test(sas)) throw new DrkitError('bad-input', `${source} does not hold a SAS token (no sig=)`);
  return sas;
}
