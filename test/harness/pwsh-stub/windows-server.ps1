# MOCK of a Windows Server 2022 machine behind its OpenSSH server, for drkit's scripts in REAL
# pwsh: the Win32_* CIM classes discovery reads, diskshadow.exe and vssadmin.exe with the output
# Microsoft documents, Win32_ShadowCopy, and the one system call the volume helper makes
# (DeviceIoControl: IOCTL_DISK_GET_LENGTH_INFO, FSCTL_GET_VOLUME_BITMAP) answered from files.
# Each lettered volume is a file under $env:DRKIT_STUB_DISKS (`C.raw`) with its cluster bitmap
# beside it (`C.raw.bitmap`: the cluster count, 8 bytes little-endian, then one bit per
# cluster, least significant first, as NTFS keeps it); a shadow copy is a copy of both taken
# at `create`, so writes after it never show in it.
. "$PSScriptRoot/stub-common.ps1"
$env:COMPUTERNAME = 'WIN-SQL01'
$stubRoot = Split-Path -Parent $env:DRKIT_STUB_STATE
$env:ProgramData = Join-Path $stubRoot 'ProgramData'
$env:TEMP = Join-Path $stubRoot 'Temp'
$null = New-Item -ItemType Directory -Force -Path $env:ProgramData, $env:TEMP

function New-StubSeed {
  $volume = { param($guid, $letter, $fs, $size, $label) @{ deviceId = "\\?\Volume{$guid}\"; letter = $letter; fs = $fs; size = [long]$size; cluster = 4096; label = $label } }
  $seed = @{
    host = @{ name = 'WIN-SQL01'; domain = 'corp.example'; uuid = '4C4C4544-0042-3510-8052-B7C04F4E3732'; os = 'Microsoft Windows Server 2022 Standard'; version = '10.0.20348'; build = '20348'; cpus = 8; memory = 32GB }
    disks = @(
      @{ index = 0; deviceId = '\\.\PHYSICALDRIVE0'; model = 'Dell PERC H755 SCSI Disk Device'; serial = '  0042a1b2c3d4e5f6'; size = 479554560000 },
      @{ index = 1; deviceId = '\\.\PHYSICALDRIVE1'; model = 'Dell PERC H755 SCSI Disk Device'; serial = '0042a1b2c3d4e5f7 '; size = 1919850381312 })
    volumes = @(
      (& $volume '0f3b6a2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' '' 'NTFS' 523239424 'Recovery'),
      (& $volume '5d7e8f90-1a2b-4c3d-9e8f-7a6b5c4d3e2f' 'C:' 'NTFS' 12MB ''),
      (& $volume '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' 'D:' 'NTFS' 20MB 'SQLData'),
      (& $volume '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e' 'E:' 'CDFS' 0 'DVD'))
    nics = @(@{ description = 'Intel(R) Ethernet 10G 2P X710 Adapter'; mac = '00:00:5E:00:53:10'; addresses = @('192.0.2.40', '2001:db8::40') })
    failedWriter = ''
    vssFault = ''
    shadows = [ordered]@{}
    nextCopy = 10
  }
  # A new volume: its file, full size and sparse, and a bitmap with the first 16 clusters (the
  # boot sector and the file system's own metadata) in use.
  foreach ($v in $seed.volumes) {
    if (-not $v.letter -or $v.fs -eq 'CDFS') { continue }
    $image = Join-Path $env:DRKIT_STUB_DISKS "$($v.letter[0]).raw"
    if (Test-Path -LiteralPath $image) { continue }
    $f = [IO.File]::Create($image); $f.SetLength($v.size); $f.Dispose()
    # NTFS's clusters stop short of the volume's end: its last sector holds the boot sector's copy.
    $clusters = [long][math]::Floor(($v.size - 512) / $v.cluster)
    $bitmap = New-Object byte[] (8 + [math]::Ceiling($clusters / 8))
    [BitConverter]::GetBytes($clusters).CopyTo($bitmap, 0)
    $bitmap[8] = 0xFF; $bitmap[9] = 0xFF
    [IO.File]::WriteAllBytes("$image.bitmap", $bitmap)
  }
  # Kept from the first look on, so a test can change it before drkit's first write.
  $tmp = "$($script:StubStateFile).$PID.seed"
  Set-Content -LiteralPath $tmp -Value ($seed | ConvertTo-Json -Depth 20) -NoNewline
  if (Test-Path -LiteralPath $script:StubStateFile) { Remove-Item -LiteralPath $tmp } else { Move-Item -LiteralPath $tmp -Destination $script:StubStateFile -Force }
  $seed
}

function Get-StubVolumes { (Get-StubState).volumes | ForEach-Object { $_ } }

$global:StubCim['Win32_OperatingSystem'] = @{ List = { $h = (Get-StubState).host; New-StubCim Win32_OperatingSystem @{ Caption = $h.os; Version = $h.version; BuildNumber = $h.build } } }
$global:StubCim['Win32_ComputerSystem'] = @{ List = { $h = (Get-StubState).host; New-StubCim Win32_ComputerSystem @{ Name = $h.name; Domain = $h.domain; NumberOfLogicalProcessors = [uint32]$h.cpus; TotalPhysicalMemory = [uint64]$h.memory } } }
$global:StubCim['Win32_ComputerSystemProduct'] = @{ List = { New-StubCim Win32_ComputerSystemProduct @{ UUID = (Get-StubState).host.uuid } } }
$global:StubCim['Win32_DiskDrive'] = @{ List = { foreach ($d in (Get-StubState).disks) { New-StubCim Win32_DiskDrive @{ Index = [uint32]$d.index; DeviceID = $d.deviceId; Model = $d.model; SerialNumber = $d.serial; Size = [uint64]$d.size } 'DeviceID' } } }
$global:StubCim['Win32_Volume'] = @{ List = {
    foreach ($v in Get-StubVolumes) {
      $capacity = if ($v.fs -eq 'CDFS') { [uint64]0 } else { [uint64]([math]::Floor(($v.size - 512) / $v.cluster) * $v.cluster) }
      New-StubCim Win32_Volume @{ DeviceID = $v.deviceId; DriveLetter = if ($v.letter) { $v.letter } else { $null }; FileSystem = $v.fs; Capacity = $capacity; BlockSize = [uint64]$v.cluster; Label = $v.label } 'DeviceID'
    } } }
$global:StubCim['Win32_NetworkAdapterConfiguration'] = @{ List = { foreach ($n in (Get-StubState).nics) { New-StubCim Win32_NetworkAdapterConfiguration @{ Description = $n.description; MACAddress = $n.mac; IPAddress = [string[]]$n.addresses; IPEnabled = $true } 'Index' } } }
$global:StubCim['Win32_ShadowCopy'] = @{ List = {
    foreach ($s in (Get-StubState).shadows.Values) { New-StubCim Win32_ShadowCopy @{ ID = $s.id; VolumeName = $s.volumeName; DeviceObject = $s.device; InstallDate = $s.created } 'ID' }
  } }

# Deleting a shadow copy: its files go with it.
function Remove-CimInstance {
  [CmdletBinding()]
  param([Parameter(ValueFromPipeline)]$InputObject)
  process {
    if ($InputObject.CimClass.CimClassName -ne 'Win32_ShadowCopy') { Write-Error -Category NotImplemented -Message 'stub: only shadow copies are removed' -ErrorAction Stop }
    $id = $InputObject.ID
    $gone = Update-StubState { param($s) $c = $s.shadows[$id]; if ($c) { $s.shadows.Remove($id) }; $c }
    if ($gone) { Remove-Item -LiteralPath $gone.device, "$($gone.device).bitmap" -Force -ErrorAction SilentlyContinue }
  }
}

# diskshadow /s <script>: the context, `add volume X: alias A` lines and `create`, with the
# verbose listing it prints after creating the set.
function diskshadow.exe {
  if ($args[0] -ne '/s' -or -not (Test-Path -LiteralPath $args[1])) { $global:LASTEXITCODE = 1; return 'DISKSHADOW: usage' }
  $lines = Get-Content -LiteralPath $args[1]
  $adds = @($lines | Where-Object { $_ -match '^add volume ([A-Z]:) alias (\w+)$' } | ForEach-Object { @{ letter = $Matches[1]; alias = $Matches[2] } })
  if (-not ($lines -contains 'create')) { $global:LASTEXITCODE = 1; return 'no create' }
  # A test's fault: VSS refuses the set (as when a writer times out or the storage is full).
  $fault = (Get-StubState).vssFault
  if ($fault) { $global:LASTEXITCODE = -2147212529; return "DISKSHADOW`r`n`r`nCOM call `"m_pVssBackupComponents->DoSnapshotSet`" failed.`r`n$fault" }
  $set = '{' + [guid]::NewGuid() + '}'
  $text = "Microsoft DiskShadow version 1.0`r`nCopyright (C) 2013 Microsoft Corporation`r`nOn computer:  WIN-SQL01,  11/23/2026 6:30:00 AM`r`n`r`n"
  $made = foreach ($a in $adds) {
    $v = Get-StubVolumes | Where-Object { $_.letter -eq $a.letter }
    if (-not $v) { $global:LASTEXITCODE = -2147212302; return "The volume $($a.letter) is not supported for shadow copies." }
    $id = '{' + [guid]::NewGuid() + '}'
    $n = Update-StubState { param($s) $s.nextCopy = [int]$s.nextCopy + 1; $s.nextCopy }
    $image = Join-Path $env:DRKIT_STUB_DISKS "$($a.letter[0]).raw"
    $copy = Join-Path $env:DRKIT_STUB_DISKS "HarddiskVolumeShadowCopy$n"
    Copy-Item -LiteralPath $image -Destination $copy; Copy-Item -LiteralPath "$image.bitmap" -Destination "$copy.bitmap"
    Update-StubState { param($s) $s.shadows[$id] = @{ id = $id; volumeName = $v.deviceId; device = $copy; created = (Get-Date).ToString('o') } } | Out-Null
    $text += "Alias $($a.alias) for shadow ID $id set as environment variable.`r`n"
    @{ id = $id; alias = $a.alias; letter = $a.letter; guid = $v.deviceId; n = $n }
  }
  $text += "Alias VSS_SHADOW_SET for shadow set ID $set set as environment variable.`r`n`r`nQuerying all shadow copies with the shadow copy set ID $set`r`n`r`n"
  foreach ($m in $made) {
    $text += "`t* Shadow copy ID = $($m.id)`t`t%$($m.alias)%`r`n`t`t- Shadow copy set: $set`t%VSS_SHADOW_SET%`r`n`t`t- Original count of shadow copies = $(@($made).Count)`r`n`t`t- Original volume name: $($m.guid) [$($m.letter)\]`r`n`t`t- Creation time: 11/23/2026 6:30:01 AM`r`n`t`t- Shadow copy device name: \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy$($m.n)`r`n`t`t- Originating machine: WIN-SQL01.corp.example`r`n`t`t- Service machine: WIN-SQL01.corp.example`r`n`t`t- Not exposed`r`n`t`t- Provider ID: {b5946137-7b9f-4925-af80-51abd60b20d5}`r`n`t`t- Attributes:  No_Auto_Release Persistent Differential`r`n`r`n"
  }
  $text += "Number of shadow copies listed: $(@($made).Count)`r`n"
  $global:LASTEXITCODE = 0
  $text
}

function vssadmin.exe {
  if (($args -join ' ') -ne 'list writers') { $global:LASTEXITCODE = 1; return 'Error: Invalid command.' }
  $failed = (Get-StubState).failedWriter
  $writer = { param($name) $f = $name -eq $failed; "Writer name: '$name'`r`n   Writer Id: {a65faa63-5ea8-4ebc-9dbd-a0c4db26912a}`r`n   Writer Instance Id: {9a4f0f9c-1b2e-4f8a-9c3d-2e1f0a9b8c7d}`r`n   State: $(if ($f) { '[8] Failed' } else { '[1] Stable' })`r`n   Last error: $(if ($f) { 'Non-retryable error' } else { 'No error' })`r`n`r`n" }
  $global:LASTEXITCODE = 0
  "vssadmin 1.1 - Volume Shadow Copy Service administrative command-line tool`r`n(C) Copyright 2001-2013 Microsoft Corp.`r`n`r`n" + (& $writer 'System Writer') + (& $writer 'SqlServerWriter') + (& $writer 'Registry Writer')
}

# The kernel side of DeviceIoControl for a device that is a file here: its length, and its
# bitmap file served as FSCTL_GET_VOLUME_BITMAP documents (the starting cluster rounded down to
# a byte, BitmapSize counting to the end, ERROR_MORE_DATA when the buffer is too small).
# Compiled once per test run (every stub process pays ~1.5 s otherwise), then loaded.
$stubIoSource = @'
using System;using System.ComponentModel;using System.IO;
public static class DrkitVolumeIo{
public static int Control(string path,uint code,byte[] input,byte[] output,out int returned){
returned=0;
if(!File.Exists(path))throw new Win32Exception(2,"cannot open "+path);
if(code==0x7405C){if(output.Length<8)return 122;BitConverter.GetBytes(new FileInfo(path).Length).CopyTo(output,0);returned=8;return 0;}
if(code!=0x9006F)return 1;
var map=File.ReadAllBytes(path+".bitmap");long clusters=BitConverter.ToInt64(map,0);
long start=BitConverter.ToInt64(input,0)&~7L;if(start>clusters)return 87;
long left=clusters-start;long room=(long)(output.Length-16)*8;long n=Math.Min(left,room);
BitConverter.GetBytes(start).CopyTo(output,0);BitConverter.GetBytes(left).CopyTo(output,8);
Array.Copy(map,8+start/8,output,16,(n+7)/8);returned=(int)(16+(n+7)/8);
return n<left?234:0;}}
'@
$stubIoDll = Join-Path ([IO.Path]::GetTempPath()) ('drkit-stub-volume-io-' + [BitConverter]::ToString([Security.Cryptography.SHA256]::Create().ComputeHash([Text.Encoding]::UTF8.GetBytes($stubIoSource))).Replace('-', '').Substring(0, 16) + '.dll')
if (-not (Test-Path -LiteralPath $stubIoDll)) {
  $stubIoTmp = "$stubIoDll.$PID"
  Add-Type -OutputType Library -OutputAssembly $stubIoTmp -TypeDefinition $stubIoSource
  try { Move-Item -LiteralPath $stubIoTmp -Destination $stubIoDll -ErrorAction Stop } catch { $stubIoDll = $stubIoTmp }
}
Add-Type -Path $stubIoDll
