# What every stub Windows host shares, run in REAL pwsh ahead of drkit's script:
#  - state kept in a JSON file ($env:DRKIT_STUB_STATE, or $StubStatePath when the dot-sourcing
#    scope sets it: a VMM server stub holds a Hyper-V host stub too) so one call sees what an earlier call
#    did, with updates under a lock file because drkit runs calls in parallel;
#  - CIM as the scripts use it (Get-CimInstance, Invoke-CimMethod, New-CimInstance,
#    Get-CimAssociatedInstance, CimSerializer): pwsh on Linux has no CIM at all, so these
#    functions answer from classes a host stub registers in $StubCim.
# This is a MOCK of Windows, written after Microsoft's documentation; the scripts under test
# are drkit's, unchanged.
Set-StrictMode -Off
$env:COMPUTERNAME = if ($env:DRKIT_STUB_COMPUTERNAME) { $env:DRKIT_STUB_COMPUTERNAME } else { 'HV01' }
$global:StubCim = @{}
# Per including scope (a module has its own): its state file and the state last read.
$script:StubStateFile = if ($StubStatePath) { $StubStatePath } else { $env:DRKIT_STUB_STATE }
$script:StubState = $null

function Read-StubState {
  if (Test-Path -LiteralPath $script:StubStateFile) { return Get-Content -Raw -LiteralPath $script:StubStateFile | ConvertFrom-Json -AsHashtable }
  return (New-StubSeed)
}

# drkit keeps one PowerShell per connection, and a test (or another session) may change the
# file between calls: the state read is kept only while the file is the one it was read from.
$script:StubStateStamp = $null
function Get-StubStamp { if (Test-Path -LiteralPath $script:StubStateFile) { $f = [IO.FileInfo]::new($script:StubStateFile); "$($f.LastWriteTimeUtc.Ticks)/$($f.Length)" } else { 'none' } }
function Get-StubState {
  $stamp = Get-StubStamp
  if (-not $script:StubState -or $stamp -ne $script:StubStateStamp) { $script:StubState = Read-StubState; $script:StubStateStamp = $stamp }
  $script:StubState
}

# Read-modify-write of the state under an exclusive lock; the file is replaced atomically so
# a reader never sees half of it.
function Update-StubState([scriptblock]$change) {
  $lock = $null
  for ($i = 0; -not $lock; $i++) {
    try { $lock = [IO.File]::Open("$($script:StubStateFile).lock", 'OpenOrCreate', 'ReadWrite', 'None') }
    catch [IO.IOException] { if ($i -gt 600) { throw }; Start-Sleep -Milliseconds 50 }
  }
  try {
    $state = Read-StubState
    $out = & $change $state
    $tmp = "$($script:StubStateFile).$PID.tmp"
    Set-Content -LiteralPath $tmp -Value ($state | ConvertTo-Json -Depth 20) -NoNewline
    # rename(2): Move-Item -Force on Linux deletes the old file first, and a session reading
    # between the two found no state at all.
    [IO.File]::Move($tmp, $script:StubStateFile, $true)
    $script:StubState = $state
    $script:StubStateStamp = Get-StubStamp
    $out
  } finally { $lock.Dispose() }
}

function New-StubGuid { [guid]::NewGuid().ToString().ToUpperInvariant() }

# A CIM instance as scripts see one: properties, plus CimClass.CimClassName and the key.
function New-StubCim([string]$class, [hashtable]$properties, [string]$key = 'InstanceID') {
  $o = [pscustomobject]$properties
  $o | Add-Member -NotePropertyName CimClass -NotePropertyValue ([pscustomobject]@{ CimClassName = $class; Key = $key })
  $o.PSObject.TypeNames.Insert(0, "Microsoft.Management.Infrastructure.CimInstance#root/virtualization/v2/$class")
  $o
}

function Get-StubClass([string]$class) {
  $provider = $global:StubCim[$class]
  if (-not $provider) { Write-Error -Category MetadataError -Message "Invalid class $class" -ErrorAction Stop }
  $provider
}

# The WQL the scripts send: Prop='value', Prop = TRUE|FALSE and Prop LIKE 'pattern%', joined by AND;
# string comparison is case-insensitive, as in WMI.
function Test-StubFilter($instance, [string]$filter) {
  if (-not $filter) { return $true }
  foreach ($term in ($filter -split '\s+AND\s+')) {
    if ($term -match "^\s*(\w+)\s*=\s*'([^']*)'\s*$") { if ([string]$instance.($Matches[1]) -ne $Matches[2]) { return $false } }
    elseif ($term -match '^\s*(\w+)\s*=\s*(TRUE|FALSE)\s*$') { if ([bool]$instance.($Matches[1]) -ne ($Matches[2] -eq 'TRUE')) { return $false } }
    elseif ($term -match "^\s*(\w+)\s+LIKE\s+'([^']*)'\s*$") { if ([string]$instance.($Matches[1]) -notlike ($Matches[2] -replace '%', '*' -replace '_', '?')) { return $false } }
    else { Write-Error -Category InvalidArgument -Message "Invalid query: $filter" -ErrorAction Stop }
  }
  $true
}

function Get-CimInstance {
  [CmdletBinding()]
  param([string]$Namespace, [string]$ClassName, [string]$Filter, [Parameter(ValueFromPipeline)]$InputObject)
  if ($InputObject) {
    $class = $InputObject.CimClass.CimClassName
    $key = $InputObject.CimClass.Key
    $found = @(& (Get-StubClass $class).List | Where-Object { $_.$key -eq $InputObject.$key })
    if (-not $found) { Write-Error -Category ObjectNotFound -Message 'Not found' -ErrorAction Stop }
    return $found[0]
  }
  @(& (Get-StubClass $ClassName).List | Where-Object { Test-StubFilter $_ $Filter })
}

function New-CimInstance {
  [CmdletBinding()]
  param([string]$Namespace, [string]$ClassName, [hashtable]$Property, [switch]$ClientOnly)
  New-StubCim $ClassName $Property
}

function Invoke-CimMethod {
  [CmdletBinding()]
  param([Parameter(ValueFromPipeline)]$InputObject, [string]$MethodName, [hashtable]$Arguments = @{})
  $method = (Get-StubClass $InputObject.CimClass.CimClassName).Methods[$MethodName]
  if (-not $method) { Write-Error -Category MetadataError -Message "Method $MethodName not found" -ErrorAction Stop }
  & $method $InputObject $Arguments
}

function Get-CimAssociatedInstance {
  [CmdletBinding()]
  param([Parameter(ValueFromPipeline)]$InputObject, [string]$ResultClassName, [string]$Association)
  $associate = (Get-StubClass $InputObject.CimClass.CimClassName).Associated
  if ($associate) { @(& $associate $InputObject $ResultClassName) }
}

# An asynchronous method's answer: 4096 and a job that the next look finds finished (or
# failed, when the state says the job must fail).
function New-StubJob([string]$what, [hashtable]$affected, [int]$endState = 7, [string]$message = '') {
  $id = New-StubGuid
  Update-StubState { param($s) if (-not $s.jobs) { $s.jobs = @{} }; $s.jobs[$id] = @{ state = $endState; message = $message; affected = $affected; what = $what } } | Out-Null
  [pscustomobject]@{ ReturnValue = [uint32]4096; Job = (New-StubCim Msvm_ConcreteJob @{ InstanceID = $id; JobState = [uint16]4; ErrorDescription = '' }) }
}

$global:StubCim['Msvm_ConcreteJob'] = @{
  List = { foreach ($j in (Get-StubState).jobs.GetEnumerator()) { New-StubCim Msvm_ConcreteJob @{ InstanceID = $j.Key; JobState = [uint16]$j.Value.state; ErrorDescription = [string]$j.Value.message } } }
  Associated = { param($job, $class) $a = (Get-StubState).jobs[$job.InstanceID].affected; if ($a -and $a.class -eq $class) { Get-CimInstance -InputObject (New-StubCim $a.class @{ InstanceID = $a.id }) } }
}

# Embedded instances travel as CIM-XML text, as Microsoft's CimSerializer writes them; the
# stub's serializer stands in for it under the same type name.
class StubCimSerializer {
  static [StubCimSerializer] Create() { return [StubCimSerializer]::new() }
  [byte[]] Serialize([object]$instance, [object]$options) {
    $props = foreach ($p in $instance.PSObject.Properties) {
      if ($p.Name -eq 'CimClass') { continue }
      $v = if ($p.Value -is [datetime]) { $p.Value.ToUniversalTime().ToString('yyyyMMddHHmmss.ffffff+000') } else { [string]$p.Value }
      "<PROPERTY NAME=`"$($p.Name)`" TYPE=`"string`"><VALUE>$([Security.SecurityElement]::Escape($v))</VALUE></PROPERTY>"
    }
    return [Text.Encoding]::Unicode.GetBytes("<INSTANCE CLASSNAME=`"$($instance.CimClass.CimClassName)`">$($props -join '')</INSTANCE>")
  }
}
$null = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')::Add('Microsoft.Management.Infrastructure.Serialization.CimSerializer', [StubCimSerializer])

function ConvertFrom-StubEmbedded([string]$text) {
  $xml = [xml]$text
  $h = @{ CimClassName = $xml.INSTANCE.CLASSNAME }
  foreach ($p in $xml.INSTANCE.PROPERTY) { $h[$p.NAME] = $p.VALUE }
  $h
}
