import { DrkitError } from '@drkit/core';

/**
 * Every script runs inside one fixed wrapper: its input is JSON read from stdin, its
 * result is projected ON THE HOST into plain values and printed as one JSON envelope —
 * always an array (Windows PowerShell 5.1 prints a single result as an object and has no
 * -AsArray), with an explicit -Depth (5.1 stops at 2), and errors as data, typed.
 * A script body sees `$in` and returns its results.
 */
export function wrapScript(body: string): string {
  return [
    "$ProgressPreference = 'SilentlyContinue'",
    "$ErrorActionPreference = 'Stop'",
    '[Console]::OutputEncoding = [Text.UTF8Encoding]::new($false)',
    'try {',
    '  $raw = [Console]::In.ReadToEnd()',
    '  $in = if ($raw.Trim()) { $raw | ConvertFrom-Json } else { $null }',
    // A script that returns $null returns nothing: @($null) would be one null element.
    '  $result = @(& {',
    body,
    '  } | Where-Object { $null -ne $_ })',
    '  @{ ok = $true; result = $result } | ConvertTo-Json -Depth 12 -Compress',
    '} catch {',
    '  $e = $_',
    '  @{ ok = $false; error = @{ type = $e.Exception.GetType().FullName; message = [string]$e.Exception.Message; category = $e.CategoryInfo.Category.ToString(); id = [string]$e.FullyQualifiedErrorId } } | ConvertTo-Json -Depth 4 -Compress',
    '  exit 1',
    '}',
  ].join('\n');
}

export interface PsError {
  type: string;
  message: string;
  category: string;
  id: string;
}

/** Reads the wrapper's envelope; PowerShell's own categories become drkit error codes. */
export function readEnvelope<T>(operation: string, stdout: string): T[] {
  const text = stdout.replace(/^\uFEFF/, '').trim();
  let doc: { ok?: boolean; result?: unknown; error?: PsError };
  try {
    doc = JSON.parse(text.slice(text.lastIndexOf('\n') + 1));
  } catch (cause) {
    throw new DrkitError('protocol', `${operation}: PowerShell printed no result envelope`, { cause });
  }
  if (doc.ok === true)
    return (
      Array.isArray(doc.result) ? doc.result : doc.result === undefined || doc.result === null ? [] : [doc.result]
    ) as T[];
  const e = doc.error ?? { type: 'unknown', message: 'unknown error', category: 'NotSpecified', id: '' };
  throw new DrkitError(codeFor(e), `${operation}: ${e.message}`, {
    fault: e.id || e.type,
    details: { category: e.category, type: e.type },
  });
}

function codeFor(e: PsError) {
  // PowerShell files a missing cmdlet (no Hyper-V module, no VMM console) under ObjectNotFound.
  if (e.type === 'System.Management.Automation.CommandNotFoundException') return 'missing-command' as const;
  switch (e.category) {
    case 'PermissionDenied':
    case 'SecurityError':
      return 'permission-denied' as const;
    case 'ObjectNotFound':
      return 'not-found' as const;
    case 'InvalidArgument':
    case 'InvalidData':
      return 'bad-input' as const;
    case 'ResourceBusy':
      return 'busy' as const;
    case 'ResourceExists':
      return 'conflict' as const;
    case 'InvalidOperation':
      return 'invalid-state' as const;
    case 'CommandNotFound':
      return 'missing-command' as const;
    case 'AuthenticationError':
      return 'auth-failed' as const;
    case 'ConnectionError':
      return 'unreachable' as const;
    default:
      return 'platform' as const;
  }
}
