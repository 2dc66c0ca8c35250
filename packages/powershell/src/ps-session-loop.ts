/** Marks a line as one of the loop's own: a record separator, then the word. */
export const FRAME_MARK = '\x1edrkit-ps ';

/**
 * The fixed script a long-lived PowerShell runs: it reads one request per line on stdin —
 * ASCII JSON `{"id":1,"op":"hyperv.discover","key":"…","script":"<base64>","input":…}`, the script only the first
 * time its key is used — and answers each with one line on stdout, `␞drkit-ps <id> <envelope>`,
 * the envelope exactly as the one-shot wrapper prints it (ps-envelope.ts). Scripts are fixed
 * text compiled once per session; values arrive as `$in`, never as code. Each script runs in
 * a child scope, so nothing it defines outlives its call. Lines without the mark (a cmdlet
 * that writes to the console itself) are not answers. End of stdin ends the loop.
 * Windows PowerShell 5.1 compatible: no `u{}` escapes, no -AsArray, explicit depths.
 */
export const SESSION_LOOP = String.raw`
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = [Text.UTF8Encoding]::new($false)
$drkitMark = [string][char]30 + 'drkit-ps '
$drkitScripts = @{}
$drkitReader = [Console]::In
[Console]::Out.WriteLine($drkitMark + 'ready')
[Console]::Out.Flush()
while ($null -ne ($drkitLine = $drkitReader.ReadLine())) {
  if (-not $drkitLine.Trim()) { continue }
  $drkitId = 0
  try {
    $ErrorActionPreference = 'Stop'
    $drkitRequest = $drkitLine | ConvertFrom-Json
    $drkitId = [long]$drkitRequest.id
    if ($drkitRequest.script) { $drkitScripts[[string]$drkitRequest.key] = [scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String([string]$drkitRequest.script))) }
    $drkitBlock = $drkitScripts[[string]$drkitRequest.key]
    if (-not $drkitBlock) { throw 'the session has no script under this key' }
    $in = $drkitRequest.input
    $drkitResult = @(& $drkitBlock | Where-Object { $null -ne $_ })
    $drkitEnvelope = @{ ok = $true; result = $drkitResult } | ConvertTo-Json -Depth 12 -Compress
  } catch {
    $e = $_
    $drkitEnvelope = @{ ok = $false; error = @{ type = $e.Exception.GetType().FullName; message = [string]$e.Exception.Message; category = $e.CategoryInfo.Category.ToString(); id = [string]$e.FullyQualifiedErrorId } } | ConvertTo-Json -Depth 4 -Compress
  }
  $in = $null
  [Console]::Out.WriteLine($drkitMark + $drkitId + ' ' + $drkitEnvelope)
  [Console]::Out.Flush()
}
`;
