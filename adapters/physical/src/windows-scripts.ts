import type { PsOperation } from '@drkit/powershell';
import { LOAD_VOLUME_HELPER } from './windows-volume-helper.js';

/**
 * The fixed PowerShell scripts of a Windows host (Windows PowerShell 5.1: results projected
 * into plain hashtables here, numbers that may pass 2^53 as strings, enums as names).
 * Values arrive in `$in`; the few that must enter a diskshadow script or a WQL filter —
 * which have no quoting — are validated against strict patterns first.
 */
export const WINDOWS_DISCOVER: PsOperation = {
  name: 'windows.discover',
  body: String.raw`
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$product = Get-CimInstance -ClassName Win32_ComputerSystemProduct
@{
  hostname = [string]$cs.Name; domain = [string]$cs.Domain; uuid = [string]$product.UUID
  os = @{ caption = [string]$os.Caption; version = [string]$os.Version; build = [string]$os.BuildNumber }
  cpus = [int]$cs.NumberOfLogicalProcessors; memoryBytes = [string]$cs.TotalPhysicalMemory
  disks = @(Get-CimInstance -ClassName Win32_DiskDrive | ForEach-Object { @{ index = [int]$_.Index; deviceId = [string]$_.DeviceID; model = [string]$_.Model; serial = ([string]$_.SerialNumber).Trim(); sizeBytes = [string]$_.Size } })
  volumes = @(Get-CimInstance -ClassName Win32_Volume | ForEach-Object { @{ deviceId = [string]$_.DeviceID; driveLetter = [string]$_.DriveLetter; fileSystem = [string]$_.FileSystem; capacityBytes = [string]$_.Capacity; label = [string]$_.Label } })
  nics = @(Get-CimInstance -ClassName Win32_NetworkAdapterConfiguration -Filter 'IPEnabled = TRUE' | ForEach-Object { @{ description = [string]$_.Description; mac = [string]$_.MACAddress; addresses = @($_.IPAddress | ForEach-Object { [string]$_ }) } })
  vss = [bool](Get-Command diskshadow.exe -ErrorAction SilentlyContinue)
}
`,
};

// A copy backup: diskshadow without "begin backup" makes one (so log chains are untouched,
// VSS_BT_COPY); "persistent" without "nowriters" involves the writers. The shadow IDs are
// written to drkit's registry on the host before anything else can fail, so a leftover is
// always findable by its tag.
export const WINDOWS_VSS_TAKE: PsOperation = {
  name: 'windows.vss.take',
  body: String.raw`
$name = [string]$in.name; $tag = [string]$in.tag
if ($name -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$') { throw [ArgumentException]::new('bad snapshot name') }
$vols = @($in.volumes | ForEach-Object { [string]$_ })
foreach ($v in $vols) { if ($v -cnotmatch '^[A-Z]:$') { throw [ArgumentException]::new('bad volume') } }
$context = if ($in.writers) { 'set context persistent' } else { 'set context persistent nowriters' }
$dir = Join-Path $env:ProgramData 'drkit\shadows'
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$dsh = Join-Path $env:TEMP ('drkit-' + [guid]::NewGuid().ToString() + '.dsh')
$lines = @($context, 'set verbose on')
$i = 0
foreach ($v in $vols) { $lines += ('add volume ' + $v + ' alias drkit' + $i); $i++ }
$lines += 'create'
Set-Content -LiteralPath $dsh -Value $lines -Encoding Ascii
try { $out = & diskshadow.exe /s $dsh 2>&1 | Out-String; $code = $LASTEXITCODE } finally { Remove-Item -LiteralPath $dsh -Force -ErrorAction SilentlyContinue }
$ids = @([regex]::Matches($out, 'Shadow copy ID = (\{[0-9a-fA-F-]{36}\})') | ForEach-Object { $_.Groups[1].Value })
@{ name = $name; tag = $tag; takenAt = (Get-Date).ToUniversalTime().ToString('o'); shadowIds = $ids } | ConvertTo-Json -Compress | Set-Content -LiteralPath (Join-Path $dir ($name + '.json')) -Encoding UTF8
$writers = if ($in.writers) { & vssadmin.exe list writers 2>&1 | Out-String } else { '' }
# Each volume's shadow, matched by the volume's own name (never by diskshadow's wording), and
# its length as the device reports it: a file system's capacity leaves out its last sectors.
${LOAD_VOLUME_HELPER}
$allVolumes = @(Get-CimInstance -ClassName Win32_Volume)
$shadows = foreach ($id in $ids) {
  $copy = Get-CimInstance -ClassName Win32_ShadowCopy -Filter ("ID='" + $id + "'")
  if (-not $copy) { continue }
  $volume = $allVolumes | Where-Object { $_.DeviceID -eq $copy.VolumeName } | Select-Object -First 1
  if (-not $volume -or [string]$volume.DriveLetter -notin $vols) { continue }
  @{ id = $id; volume = [string]$volume.DriveLetter; device = [string]$copy.DeviceObject; sizeBytes = [string][DrkitVolume]::Length([string]$copy.DeviceObject) }
}
@{ exitCode = [int]$code; diskshadow = $out; writers = $writers; shadows = @($shadows) }
`,
};

export const WINDOWS_VSS_DELETE: PsOperation = {
  name: 'windows.vss.delete',
  body: String.raw`
$name = [string]$in.name
if ($name -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$') { throw [ArgumentException]::new('bad snapshot name') }
$file = Join-Path (Join-Path $env:ProgramData 'drkit\shadows') ($name + '.json')
if (Test-Path -LiteralPath $file) {
  $entry = Get-Content -LiteralPath $file -Raw | ConvertFrom-Json
  foreach ($id in @($entry.shadowIds)) {
    if ([string]$id -notmatch '^\{[0-9a-fA-F-]{36}\}$') { continue }
    Get-CimInstance -ClassName Win32_ShadowCopy -Filter ("ID='" + $id + "'") | Remove-CimInstance
  }
  Remove-Item -LiteralPath $file -Force
}
`,
};

export const WINDOWS_VSS_LIST: PsOperation = {
  name: 'windows.vss.list',
  body: String.raw`
$dir = Join-Path $env:ProgramData 'drkit\shadows'
if (Test-Path -LiteralPath $dir) {
  Get-ChildItem -LiteralPath $dir -Filter '*.json' | ForEach-Object {
    $e = Get-Content -LiteralPath $_.FullName -Raw | ConvertFrom-Json
    @{ name = [string]$e.name; tag = [string]$e.tag; takenAt = [string]$e.takenAt }
  }
}
`,
};

// One volume of a drkit shadow set, opened for reading: its shadow must still exist; the
// clusters in use come from the shadow's own file system (FSCTL_GET_VOLUME_BITMAP), as runs
// packed little-endian, eight bytes per number (a busy volume has too many for JSON).
export const WINDOWS_SHADOW_OPEN: PsOperation = {
  name: 'windows.shadow.open',
  body: String.raw`
$name = [string]$in.name; $letter = [string]$in.volume
if ($name -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$') { throw [ArgumentException]::new('bad snapshot name') }
if ($letter -cnotmatch '^[A-Z]:$') { throw [ArgumentException]::new('bad volume') }
$file = Join-Path (Join-Path $env:ProgramData 'drkit\shadows') ($name + '.json')
if (-not (Test-Path -LiteralPath $file)) { return @{ error = 'no drkit shadow set of that name' } }
$entry = Get-Content -LiteralPath $file -Raw | ConvertFrom-Json
$volume = Get-CimInstance -ClassName Win32_Volume | Where-Object { [string]$_.DriveLetter -eq $letter } | Select-Object -First 1
if (-not $volume) { return @{ error = 'no volume ' + $letter } }
$copy = foreach ($id in @($entry.shadowIds)) {
  if ([string]$id -notmatch '^\{[0-9a-fA-F-]{36}\}$') { continue }
  Get-CimInstance -ClassName Win32_ShadowCopy -Filter ("ID='" + $id + "'") | Where-Object { $_.VolumeName -eq $volume.DeviceID }
}
$copy = @($copy) | Select-Object -First 1
if (-not $copy) { return @{ error = 'the shadow copy of ' + $letter + ' is gone' } }
${LOAD_VOLUME_HELPER}
$device = [string]$copy.DeviceObject
$out = @{ device = $device; sizeBytes = [string][DrkitVolume]::Length($device); clusterBytes = [string]$volume.BlockSize }
try {
  $clusters = 0L
  $runs = [DrkitVolume]::Runs($device, [ref]$clusters)
  $bytes = New-Object byte[] ($runs.Length * 8)
  [Buffer]::BlockCopy($runs, 0, $bytes, 0, $bytes.Length)
  $out.clusters = [string]$clusters; $out.runs = [Convert]::ToBase64String($bytes)
} catch { $out.bitmapError = $_.Exception.Message }
$out
`,
};
