# MOCK of a standalone Hyper-V host (Windows Server 2022) for drkit's scripts in REAL pwsh:
# the Hyper-V module's cmdlets (Get-VM, Get-VHD, Get-VMReplication, Start-VMFailover, ...)
# returning objects of the module's shapes — enums with the module's names and values, GUIDs,
# MACs as Hyper-V prints them — and the WMI classes of root\virtualization\v2 that recovery
# snapshots go through (Msvm_VirtualSystemSnapshotService, jobs, setting data), after
# Microsoft's documentation. VMMS's fallback event text is approximate.
# DRKIT_STUB_ROLE=replica makes it the replica side of the pair (HV02); DRKIT_STUB_SNAPSHOT_DELAY_MS
# holds each CreateSnapshot that long (the fan-out bench).
. "$PSScriptRoot/stub-common.ps1"

# Microsoft.HyperV.PowerShell enums: names and values as the module defines them.
enum VMState { Other = 1; Running = 2; Off = 3; Stopping = 4; Saved = 6; Paused = 9; Starting = 10; Reset = 11; Saving = 32773; Pausing = 32776; Resuming = 32777 }
enum CheckpointType { Disabled = 2; Production = 3; ProductionOnly = 4; Standard = 5 }
enum VMReplicationState { Disabled = 0; ReadyForInitialReplication = 1; InitialReplicationInProgress = 2; WaitingForInitialReplication = 3; Replicating = 4; PreparedForFailover = 5; FailedOverWaitingCompletion = 6; FailedOver = 7; Suspended = 8; Error = 9; WaitingForStartResynchronize = 10; Resynchronizing = 11; ResynchronizeSuspended = 12 }
enum VMReplicationHealthState { NotApplicable = 0; Normal = 1; Warning = 2; Critical = 3 }
enum VMReplicationMode { None = 0; Primary = 1; Replica = 2; TestReplica = 3; ExtendedReplica = 4 }
enum ControllerType { IDE = 0; SCSI = 1 }
enum VhdFormat { VHD = 2; VHDX = 3; VHDSet = 4 }
enum VhdType { Fixed = 2; Dynamic = 3; Differencing = 4 }
enum VMSwitchType { Private = 0; Internal = 1; External = 2 }

$VSS_IC = '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47'

function New-StubSeed { Initialize-StubImages (New-StubEstate) }

function New-StubEstate {
  $replica = $env:DRKIT_STUB_ROLE -eq 'replica'
  $dc = 'D4C3B2A1-6F5E-4B7A-9C8D-5A4B3C2D1E0F'; $sql = '6B1E2A4C-8D3F-4E5A-9B7C-1D2E3F4A5B6C'; $web = '0F9E8D7C-6B5A-4C3D-8E2F-1A0B9C8D7E6F'; $old = 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D'
  $vhd = { param($path, $gib, $type, $n, $parent) @{ path = $path; format = if ($path -like '*.vhd') { 'VHD' } else { 'VHDX' }; type = $type; size = [long]($gib * 1GB); fileSize = [long]($gib * 1GB * 0.3); parent = $parent; diskIdentifier = ('{0:X8}-1C2D-4E3F-8A9B-0C1D2E3F4A5B' -f (0x1000 + $n)) } }
  $nic = { param($vm, $id, $name, $mac, $switch, $ips) @{ id = "Microsoft:$vm\$id"; name = $name; mac = $mac; switchId = $switch; addresses = $ips } }
  @{
    host = @{ name = if ($replica) { 'HV02' } else { 'HV01' }; uuid = if ($replica) { '4C4C4544-0052-3810-8057-B8C04F4E3732' } else { '4C4C4544-0051-3710-8056-B7C04F4E3732' }; os = 'Microsoft Windows Server 2022 Datacenter'; version = '10.0.20348'; build = 20348; processors = 32; memory = 256GB }
    switches = @(
      @{ id = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f'; name = 'ConvergedSwitch'; type = 'External' },
      @{ id = '9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a'; name = 'Isolated'; type = 'Private' })
    vms = [ordered]@{
      # Small disks that hold data (files under $env:DRKIT_STUB_DISKS), so they can be read;
      # first, so the contract suite's snapshot and replication modules take it.
      $dc = @{ name = 'DC01'; state = 'Running'; generation = 2; version = '10.0'; cpus = 2; memory = 4GB; checkpointType = 'Production'; path = 'D:\Hyper-V\DC01'; icVersion = ''; vss = 'OK'
        disks = @(
          @{ controller = 'SCSI'; number = 0; location = 0; vhd = (& $vhd 'D:\Hyper-V\DC01\Virtual Hard Disks\DC01-os.vhdx' (24MB / 1GB) 'Dynamic' 4 '') },
          @{ controller = 'SCSI'; number = 0; location = 1; vhd = (& $vhd 'D:\Hyper-V\DC01\Virtual Hard Disks\DC01-ntds.vhdx' (8MB / 1GB) 'Fixed' 5 '') })
        nics = @(& $nic $dc 'E1F2A3B4-C5D6-4E7F-8A9B-C0D1E2F3A4B5' 'Network Adapter' '00155D0A1B04' '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f' @('192.0.2.53')) }
      $sql = @{ name = 'SQL01'; state = if ($replica) { 'Off' } else { 'Running' }; generation = 2; version = '10.0'; cpus = 8; memory = 32GB; checkpointType = 'Production'; path = 'D:\Hyper-V\SQL01'; icVersion = ''; vss = 'OK'
        disks = @(
          @{ controller = 'SCSI'; number = 0; location = 0; vhd = (& $vhd 'D:\Hyper-V\SQL01\Virtual Hard Disks\SQL01-os.vhdx' 127 'Dynamic' 0 '') },
          @{ controller = 'SCSI'; number = 0; location = 1; vhd = (& $vhd 'D:\Hyper-V\SQL01\Virtual Hard Disks\SQL01-data.vhdx' 500 'Fixed' 1 '') })
        nics = @(& $nic $sql 'B1A2C3D4-E5F6-4789-A0B1-C2D3E4F5A6B7' 'Network Adapter' '00155D0A1B01' '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f' @('192.0.2.51', 'fe80::215:5dff:fe0a:1b01')) }
      # A guest whose VSS requestor does not answer: app-consistent snapshots fall back.
      $web = @{ name = 'WEB01'; state = 'Running'; generation = 2; version = '9.0'; cpus = 2; memory = 4GB; checkpointType = 'Production'; path = 'D:\Hyper-V\WEB01'; icVersion = ''; vss = 'No Contact'
        disks = @(@{ controller = 'SCSI'; number = 0; location = 0; vhd = (& $vhd 'D:\Hyper-V\WEB01\Virtual Hard Disks\WEB01_8E2A1C3B-4D5F-4A6B-9C7D-8E9F0A1B2C3D.avhdx' 60 'Differencing' 2 'D:\Hyper-V\WEB01\Virtual Hard Disks\WEB01.vhdx') })
        nics = @(& $nic $web 'C1D2E3F4-A5B6-4C7D-8E9F-A0B1C2D3E4F5' 'Network Adapter' '00155D0A1B02' '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f' @('192.0.2.52')) }
      $old = @{ name = 'LEGACY-APP'; state = 'Off'; generation = 1; version = '5.0'; cpus = 1; memory = 2GB; checkpointType = 'Standard'; path = 'D:\Hyper-V\LEGACY-APP'; icVersion = '6.3.9600.16384'; vss = ''
        disks = @(
          @{ controller = 'IDE'; number = 0; location = 0; vhd = (& $vhd 'D:\Hyper-V\LEGACY-APP\legacy.vhd' 40 'Fixed' 3 '') },
          @{ controller = 'SCSI'; number = 0; location = 0; diskNumber = 3; passThroughPath = 'Disk 3 0.00 B Bus 0 Lun 0 Target 0' })
        nics = @(& $nic $old 'D1E2F3A4-B5C6-4D7E-8F9A-B0C1D2E3F4A5' 'Legacy Network Adapter' '00155D0A1B03' $null @()) }
    }
    images = @{
      'D:\Hyper-V\DC01\Virtual Hard Disks\DC01-os.vhdx' = (Join-Path $env:DRKIT_STUB_DISKS 'DC01-os.raw')
      'D:\Hyper-V\DC01\Virtual Hard Disks\DC01-ntds.vhdx' = (Join-Path $env:DRKIT_STUB_DISKS 'DC01-ntds.raw')
    }
    mounted = @{}
    replication = [ordered]@{
      $sql = @{ mode = if ($replica) { 'Replica' } else { 'Primary' }; state = 'Replicating'; health = 'Normal' }
      $web = @{ mode = if ($replica) { 'Replica' } else { 'Primary' }; state = 'WaitingForStartResynchronize'; health = 'Critical' }
    }
    snapshots = [ordered]@{}
    referencePoints = [ordered]@{}
    rct = @{}
    events = @()
    jobs = @{}
  }
}

# The data disks' files exist from the start, full size and sparse (zeros), as a new VHD reads.
function Initialize-StubImages($seed) {
  foreach ($vm in $seed.vms.Values) {
    foreach ($d in $vm.disks) {
      if (-not $d.vhd) { continue }
      $image = $seed.images[$d.vhd.path]
      if ($image -and -not (Test-Path -LiteralPath $image)) { $f = [IO.File]::Create($image); $f.SetLength($d.vhd.size); $f.Dispose() }
    }
  }
  $seed
}

# -ComputerName, as the module takes it from a managing machine: this host answers to its
# name or its FQDN, and any other name is a host that cannot be reached.
function Assert-StubComputer([string[]]$ComputerName) {
  $h = (Get-StubState).host.name
  foreach ($c in $ComputerName) {
    if (@($h, "$h.corp.example", 'localhost') -notcontains $c) { Write-Error -Category ConnectionError -Message "Hyper-V was unable to find a virtual machine management service on computer '$c'." -ErrorAction Stop }
  }
}

function Find-StubVm([string]$id) {
  $key = ([guid]$id).ToString().ToUpperInvariant()
  $vm = (Get-StubState).vms[$key]
  if (-not $vm) { Write-Error -Category ObjectNotFound -Message "Hyper-V was unable to find a virtual machine with ID $key." -ErrorAction Stop }
  @{ id = $key; vm = $vm }
}

# ---------------------------------------------------------------- Hyper-V module cmdlets
function ConvertTo-StubVm([string]$id, $v) {
  $r = (Get-StubState).replication[$id]
  [pscustomobject]@{
    PSTypeName = 'Microsoft.HyperV.PowerShell.VirtualMachine'
    Id = [guid]$id; VMId = [guid]$id; Name = $v.name; VMName = $v.name; State = [VMState]$v.state; Generation = $v.generation; Version = $v.version
    ProcessorCount = $v.cpus; MemoryStartup = [long]$v.memory; CheckpointType = [CheckpointType]$v.checkpointType
    ReplicationState = [VMReplicationState]$(if ($r) { $r.state } else { 'Disabled' }); ReplicationHealth = [VMReplicationHealthState]$(if ($r) { $r.health } else { 'NotApplicable' })
    ReplicationMode = [VMReplicationMode]$(if ($r) { $r.mode } else { 'None' }); IsClustered = $false; Path = $v.path; IntegrationServicesVersion = if ($v.icVersion) { [version]$v.icVersion } else { $null }
    ComputerName = (Get-StubState).host.name; Notes = [string]$v.notes
  }
}

function Get-VM {
  [CmdletBinding()]
  param([Parameter(Position = 0)][string[]]$Name, [guid]$Id, [string[]]$ComputerName, [pscredential]$Credential)
  Assert-StubComputer $ComputerName
  foreach ($e in (Get-StubState).vms.GetEnumerator()) {
    if ($PSBoundParameters.ContainsKey('Id') -and [guid]$e.Key -ne $Id) { continue }
    if ($Name -and $Name -notcontains $e.Value.name) { continue }
    ConvertTo-StubVm $e.Key $e.Value
  }
  if ($PSBoundParameters.ContainsKey('Id') -and -not (Get-StubState).vms[$Id.ToString().ToUpperInvariant()]) { Write-Error -Category InvalidArgument -Message "Hyper-V was unable to find a virtual machine with ID $Id." -ErrorAction Stop }
}

function Get-VMHardDiskDrive {
  [CmdletBinding()]
  param([Parameter(ValueFromPipeline, Position = 0)]$VM, $VMSnapshot)
  process {
    if ($VMSnapshot) { return Get-StubSnapshotDrives $VMSnapshot }
    foreach ($d in (Find-StubVm $VM.Id).vm.disks) {
      [pscustomobject]@{
        PSTypeName = 'Microsoft.HyperV.PowerShell.HardDiskDrive'; VMName = $VM.Name; ControllerType = [ControllerType]$d.controller; ControllerNumber = $d.number; ControllerLocation = $d.location
        Path = if ($d.vhd) { $d.vhd.path } else { $d.passThroughPath }; DiskNumber = if ($null -ne $d.diskNumber) { [int]$d.diskNumber } else { $null }
      }
    }
  }
}

function Get-VHD {
  [CmdletBinding()]
  param([Parameter(Mandatory, Position = 0)][string]$Path)
  foreach ($v in (Get-StubState).vms.Values) {
    foreach ($d in $v.disks) {
      if ($d.vhd -and $d.vhd.path -eq $Path) {
        $h = $d.vhd
        return [pscustomobject]@{ PSTypeName = 'Microsoft.Vhd.PowerShell.VirtualHardDisk'; Path = $h.path; VhdFormat = [VhdFormat]$h.format; VhdType = [VhdType]$h.type; Size = [uint64]$h.size; FileSize = [uint64]$h.fileSize; ParentPath = $h.parent; DiskIdentifier = $h.diskIdentifier; Attached = $true }
      }
    }
  }
  Write-Error -Category ObjectNotFound -Message "Failed to get the disk information. The system cannot find the file specified. ($Path)" -ErrorAction Stop
}

function Get-VMNetworkAdapter {
  [CmdletBinding()]
  param([Parameter(ValueFromPipeline, Position = 0)]$VM)
  process {
    $v = (Find-StubVm $VM.Id).vm
    foreach ($n in $v.nics) {
      [pscustomobject]@{ VMId = $VM.Id; Id = $n.id; Name = $n.name; MacAddress = $n.mac; SwitchId = if ($n.switchId) { [guid]$n.switchId } else { $null }; Connected = [bool]$n.switchId
        # An emulated (legacy) adapter reports no address list at all: $null, not an empty array.
        IPAddresses = if ($n.name -like 'Legacy*') { $null } elseif ($v.state -eq 'Running') { [string[]]$n.addresses } else { [string[]]@() } }
    }
  }
}

function Get-VMIntegrationService {
  [CmdletBinding()]
  param([Parameter(ValueFromPipeline, Position = 0)]$VM)
  process {
    $x = Find-StubVm $VM.Id
    $on = $x.vm.state -eq 'Running'
    foreach ($s in @(@('Guest Service Interface', '6C09BB55-D683-4DA0-8931-C9BF705F6480', $false), @('Heartbeat', '57164F39-9115-4E78-AB55-382F3BD5422D', $true), @('Key-Value Pair Exchange', '2A34B1C2-FD73-4043-8A5B-DD2159BC743F', $true), @('Shutdown', '9F8233AC-BE49-4C79-8EE3-E7E1985B2077', $true), @('Time Synchronization', '2497F4DE-E9FA-4204-80E4-4B75C46419C0', $true), @('VSS', $VSS_IC, $true))) {
      $status = if (-not $on -or -not $s[2]) { '' } elseif ($s[1] -eq $VSS_IC) { $x.vm.vss } else { 'OK' }
      [pscustomobject]@{ VMName = $x.vm.name; Name = $s[0]; Id = "Microsoft:$($x.id)\$($s[1])"; Enabled = $s[2]; PrimaryStatusDescription = $status }
    }
  }
}

function Get-VMSwitch { foreach ($s in (Get-StubState).switches) { [pscustomobject]@{ Id = [guid]$s.id; Name = $s.name; SwitchType = [VMSwitchType]$s.type } } }
function Get-VMHost { $h = (Get-StubState).host; [pscustomobject]@{ ComputerName = $h.name; LogicalProcessorCount = $h.processors; MemoryCapacity = [long]$h.memory; VirtualMachinePath = (Join-Path $env:DRKIT_STUB_DISKS 'Hyper-V') } }
function Get-VMReplicationServer { [pscustomobject]@{ ReplicationEnabled = $true; IntegratedAuthenticationPort = 80; AllowedAuthenticationType = 'Kerberos' } }

function Get-VMReplication {
  [CmdletBinding()]
  param([string[]]$ComputerName, [pscredential]$Credential)
  Assert-StubComputer $ComputerName
  $s = Get-StubState
  foreach ($e in $s.replication.GetEnumerator()) {
    $primary = $e.Value.mode -eq 'Primary'
    [pscustomobject]@{
      VMId = [guid]$e.Key; VMName = $s.vms[$e.Key].name; Mode = [VMReplicationMode]$e.Value.mode; State = [VMReplicationState]$e.Value.state; Health = [VMReplicationHealthState]$e.Value.health
      PrimaryServer = if ($primary) { "$($s.host.name.ToLower()).corp.example" } else { 'hv01.corp.example' }; ReplicaServer = if ($primary) { 'hv02.corp.example' } else { "$($s.host.name.ToLower()).corp.example" }
      FrequencySec = 300; LastReplicationTime = [datetime]::new(2026, 11, 23, 6, 55, 0, [DateTimeKind]::Utc)
    }
  }
}

# One replica step: the VM's relationship must be in $from; it moves to $to.
function Set-StubReplication($VM, [string[]]$from, [string]$to, [string]$mode) {
  $key = $VM.Id.ToString().ToUpperInvariant()
  Update-StubState {
    param($s)
    $r = $s.replication[$key]
    if (-not $r) { Write-Error -Category InvalidOperation -Message "The operation cannot be performed because the virtual machine '$($VM.Name)' is not enabled for replication." -ErrorAction Stop }
    if ($from -notcontains $r.state) { Write-Error -Category InvalidOperation -Message "The operation cannot be performed while the replication state of '$($VM.Name)' is $($r.state)." -ErrorAction Stop }
    $r.state = $to
    if ($to -eq 'Replicating') { $r.health = 'Normal' }
    if ($mode) { $r.mode = $mode }
  } | Out-Null
}

function Enable-VMReplication {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [string]$ReplicaServerName, [int]$ReplicaServerPort, [int]$ReplicationFrequencySec, [string]$AuthenticationType, [string]$CertificateThumbprint)
  if (@(30, 300, 900) -notcontains $ReplicationFrequencySec) { Write-Error -Category InvalidArgument -Message 'The replication frequency must be 30, 300 or 900 seconds.' -ErrorAction Stop }
  $key = $VM.Id.ToString().ToUpperInvariant()
  Update-StubState {
    param($s)
    if ($s.replication[$key]) { Write-Error -Category InvalidOperation -Message "The operation cannot be performed because the virtual machine '$($VM.Name)' is already enabled for replication." -ErrorAction Stop }
    $s.replication[$key] = @{ mode = 'Primary'; state = 'ReadyForInitialReplication'; health = 'Normal' }
  } | Out-Null
}

function Start-VMInitialReplication {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [string]$DestinationPath, [switch]$UseBackup)
  Set-StubReplication $VM @('ReadyForInitialReplication') $(if ($DestinationPath -or $UseBackup) { 'WaitingForInitialReplication' } else { 'Replicating' })
}

function Resume-VMReplication {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [switch]$Resynchronize)
  if ($Resynchronize) { Set-StubReplication $VM @('WaitingForStartResynchronize') 'Resynchronizing' } else { Set-StubReplication $VM @('Suspended', 'Error') 'Replicating' }
}

function Set-StubPower($VM, [string]$power) {
  $key = $VM.Id.ToString().ToUpperInvariant()
  Update-StubState { param($s) $s.vms[$key].state = $power } | Out-Null
}

# A guest shutdown (-AsJob starts it and returns) completes unless the VM's guest ignores it
# (`ignoresShutdown`, a test's fault); -TurnOff always does.
function Stop-VM {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [switch]$Force, [switch]$TurnOff, [switch]$AsJob)
  if (-not $TurnOff -and (Find-StubVm $VM.Id).vm.ignoresShutdown) { if ($AsJob) { return [pscustomobject]@{ Name = 'StopVM'; State = 'Running' } }; Write-Error -Category OperationTimeout -Message "The guest of '$($VM.Name)' did not shut down." -ErrorAction Stop }
  Set-StubPower $VM 'Off'
  if ($AsJob) { [pscustomobject]@{ Name = 'StopVM'; State = 'Completed' } }
}
function Start-VM { [CmdletBinding()] param([Parameter(Mandatory)]$VM) Set-StubPower $VM 'Running' }

function Start-VMFailover {
  [CmdletBinding(SupportsShouldProcess)]
  param([Parameter(Mandatory)]$VM, [switch]$Prepare)
  if ($Prepare) {
    if ((Find-StubVm $VM.Id).vm.state -ne 'Off') { Write-Error -Category InvalidOperation -Message "'$($VM.Name)' must be turned off before a planned failover is prepared." -ErrorAction Stop }
    Set-StubReplication $VM @('Replicating') 'PreparedForFailover'
  } else { Set-StubReplication $VM @('Replicating') 'FailedOver' }
}

function Set-VMReplication {
  [CmdletBinding(SupportsShouldProcess)]
  param([Parameter(Mandatory)]$VM, [switch]$Reverse)
  if ($Reverse) { Set-StubReplication $VM @('FailedOver') 'Replicating' 'Primary' }
}

function Get-WinEvent {
  [CmdletBinding()]
  param([hashtable]$FilterHashtable)
  foreach ($e in (Get-StubState).events) {
    if ($e.log -eq $FilterHashtable.LogName -and [datetime]$e.time -ge $FilterHashtable.StartTime.ToUniversalTime()) {
      [pscustomobject]@{ Id = $e.id; Level = $e.level; Message = $e.message; TimeCreated = [datetime]$e.time }
    }
  }
}

# Recovery snapshots as the module shows them, and their disks.
function Get-VMSnapshot {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [string]$SnapshotType)
  foreach ($e in (Get-StubState).snapshots.GetEnumerator()) {
    if ([guid]$e.Value.vmId -ne $VM.Id) { continue }
    if ($SnapshotType -and $SnapshotType -ne 'Recovery') { continue }
    [pscustomobject]@{ PSTypeName = 'Microsoft.HyperV.PowerShell.VMSnapshot'; Id = [guid]$e.Key.Substring(10); Name = $e.Value.name; VMId = $VM.Id; VMName = $VM.Name; SnapshotType = 'Recovery'; StubKey = $e.Key }
  }
}

function Get-StubSnapshotDrives($VMSnapshot) {
  foreach ($d in (Get-StubState).snapshots[$VMSnapshot.StubKey].disks) {
    [pscustomobject]@{ PSTypeName = 'Microsoft.HyperV.PowerShell.HardDiskDrive'; VMName = $VMSnapshot.VMName; ControllerType = [ControllerType]$d.controller; ControllerNumber = $d.number; ControllerLocation = $d.location; Path = $d.vhd.path; DiskNumber = $null }
  }
}

# Mounting a VHD read-only makes it a disk of the host; Get-Disk's Path is the device to open.
# Here that "device" is the file holding the VHD's data (on Windows, \\?\scsi#disk&ven_msft&prod_virtual_disk#...).
function Mount-VHD {
  [CmdletBinding()]
  param([Parameter(Mandatory)][string]$Path, [switch]$ReadOnly, [switch]$NoDriveLetter, [switch]$Passthru)
  $vhdPath = $Path
  $n = Update-StubState {
    param($s)
    $image = $s.images[$vhdPath]
    if (-not $image) { Write-Error -Category ObjectNotFound -Message "Failed to mount the disk. The system cannot find the file specified. ($vhdPath)" -ErrorAction Stop }
    if ($s.mounted[$vhdPath]) { Write-Error -Category ResourceBusy -Message "The disk $vhdPath is already mounted." -ErrorAction Stop }
    # A running VM holds its disks open: read-write, only a stopped VM's disk mounts.
    if (-not $ReadOnly) { foreach ($v in $s.vms.Values) { if ($v.state -ne 'Off' -and @($v.disks | Where-Object { $_.vhd -and $_.vhd.path -eq $vhdPath }).Count) { Write-Error -Category ResourceBusy -Message "Failed to mount the disk. The process cannot access the file because it is being used by another process. ($vhdPath)" -ErrorAction Stop } } }
    $number = 3 + $s.mounted.Count
    $s.mounted[$vhdPath] = @{ number = $number; image = $image; readOnly = [bool]$ReadOnly }
    $number
  }
  $size = 0
  foreach ($snap in (Get-StubState).snapshots.Values) { foreach ($d in $snap.disks) { if ($d.vhd.path -eq $vhdPath) { $size = $d.vhd.size } } }
  foreach ($v in (Get-StubState).vms.Values) { foreach ($d in $v.disks) { if ($d.vhd -and $d.vhd.path -eq $vhdPath) { $size = $d.vhd.size } } }
  if ($Passthru) { [pscustomobject]@{ Path = $vhdPath; DiskNumber = $n; Size = [uint64]$size; Attached = $true } }
}

function Get-Disk {
  [CmdletBinding()]
  param([int]$Number)
  foreach ($m in (Get-StubState).mounted.Values) { if ($m.number -eq $Number) { return [pscustomobject]@{ Number = $Number; Path = $m.image; IsReadOnly = $m.readOnly; BusType = 'File Backed Virtual' } } }
  Write-Error -Category ObjectNotFound -Message "No MSFT_Disk objects found with property 'Number' equal to '$Number'." -ErrorAction Stop
}

function Set-Disk {
  [CmdletBinding()]
  param([int]$Number, [bool]$IsOffline)
  Update-StubState { param($s) foreach ($m in $s.mounted.Values) { if ($m.number -eq $Number) { $m.offline = $IsOffline } } } | Out-Null
}

function Dismount-VHD {
  [CmdletBinding()]
  param([Parameter(Mandatory)][string]$Path)
  $vhdPath = $Path
  Update-StubState { param($s) if (-not $s.mounted[$vhdPath]) { Write-Error -Category InvalidOperation -Message "The disk $vhdPath is not mounted." -ErrorAction Stop }; $s.mounted.Remove($vhdPath) } | Out-Null
}

# Resilient change tracking. An RCT id remembers a disk's data as it was when the id was handed
# out (here: a copy); the changes since are the 64 KiB regions that differ now, as RCT reports
# regions, not bytes. Ids are handed out when a recovery snapshot becomes a reference point and
# live as long as it does (an RCT reset, as after an unclean shutdown, clears them all).
function New-StubRctId($s, [string]$image) {
  $id = "rctX:$((New-StubGuid).ToLowerInvariant()):$($s.rct.Count + 1)"
  $copy = Join-Path $env:DRKIT_STUB_DISKS "$($id -replace ':', '_').rct"
  Copy-Item -LiteralPath $image -Destination $copy
  $s.rct[$id] = $copy
  $id
}

# The VM's virtual hard disks as Msvm_StorageAllocationSettingData, keyed as Hyper-V keys them:
# VM, controller, controller number, location, and L (the disk's "logical" half, the drive is D).
$SCSI_CONTROLLER = 'D422512D-2BF2-4752-809D-7B82B5FCB1B4'; $IDE_CONTROLLER = '83F8638B-8DCA-4152-9EDA-2CA8B33039B4'
function Get-StubVirtualDiskId([string]$vmId, $d) {
  "Microsoft:$vmId\$(if ($d.controller -eq 'IDE') { $IDE_CONTROLLER } else { $SCSI_CONTROLLER })\$($d.number)\$($d.location)\L"
}

# A snapshot goes away: each differencing disk merges back, so the VM's disk is its parent
# again, holding the live data.
function Remove-StubSnapshot($s, [string]$snapId) {
  $snap = $s.snapshots[$snapId]
  foreach ($sd in $snap.disks) {
    foreach ($d in $s.vms[$snap.vmId].disks) {
      if ($d.vhd -and $d.vhd.parent -eq $sd.vhd.path) {
        $live = $s.images[$d.vhd.path]
        Remove-Item -LiteralPath $s.images[$sd.vhd.path] -Force -ErrorAction SilentlyContinue
        $s.images.Remove($d.vhd.path)
        $s.images[$sd.vhd.path] = $live
        $d.vhd = $sd.vhd
      }
    }
  }
  $s.snapshots.Remove($snapId)
}

# ---------------------------------------------------------------- WMI: root\virtualization\v2
$global:StubCim['Win32_OperatingSystem'] = @{ List = { $h = (Get-StubState).host; New-StubCim Win32_OperatingSystem @{ Caption = $h.os; Version = $h.version; BuildNumber = [string]$h.build } } }
$global:StubCim['Win32_ComputerSystemProduct'] = @{ List = { New-StubCim Win32_ComputerSystemProduct @{ UUID = (Get-StubState).host.uuid } } }

$global:StubCim['Msvm_ComputerSystem'] = @{
  # Msvm_SettingsDefineState: a VM's own (realized) settings.
  Associated = { param($vm, $class) if ($class -eq 'Msvm_VirtualSystemSettingData') { Get-CimInstance -ClassName Msvm_VirtualSystemSettingData -Filter "InstanceID='Microsoft:$($vm.Name)'" } }
  List = {
    $s = Get-StubState
    New-StubCim Msvm_ComputerSystem @{ Name = $s.host.name; ElementName = $s.host.name; Caption = 'Hosting Computer System' } 'Name'
    foreach ($e in $s.vms.GetEnumerator()) { New-StubCim Msvm_ComputerSystem @{ Name = $e.Key; ElementName = $e.Value.name; Caption = 'Virtual Machine'; EnabledState = [uint16]$(if ($e.Value.state -eq 'Running') { 2 } else { 3 }) } 'Name' }
  }
}

$global:StubCim['Msvm_VirtualSystemSettingData'] = @{
  Associated = {
    param($settings, $class)
    if ($class -eq 'Msvm_StorageAllocationSettingData' -and $settings.VirtualSystemType -eq 'Microsoft:Hyper-V:System:Realized') {
      Get-CimInstance -ClassName Msvm_StorageAllocationSettingData | Where-Object { $_.StubVmId -eq $settings.VirtualSystemIdentifier }
    }
  }
  List = {
    foreach ($e in (Get-StubState).snapshots.GetEnumerator()) {
      New-StubCim Msvm_VirtualSystemSettingData @{ InstanceID = $e.Key; ElementName = $e.Value.name; VirtualSystemType = 'Microsoft:Hyper-V:Snapshot:Recovery'; VirtualSystemIdentifier = $e.Value.vmId; CreationTime = [datetime]$e.Value.created; ConsistencyLevel = [byte]$e.Value.level }
    }
    foreach ($e in (Get-StubState).vms.GetEnumerator()) { New-StubCim Msvm_VirtualSystemSettingData @{ InstanceID = "Microsoft:$($e.Key)"; ElementName = $e.Value.name; VirtualSystemType = 'Microsoft:Hyper-V:System:Realized'; VirtualSystemIdentifier = $e.Key } }
  }
}

$global:StubCim['Msvm_VirtualSystemSnapshotService'] = @{
  List = { New-StubCim Msvm_VirtualSystemSnapshotService @{ Name = 'vssnapsvc'; ElementName = 'Microsoft Hyper-V Virtual System Snapshot Service' } 'Name' }
  Methods = @{
    CreateSnapshot = {
      param($service, $a)
      # A checkpoint takes time on a real host (VSS in the guest, then the disks): the benches hold it.
      if ($env:DRKIT_STUB_SNAPSHOT_DELAY_MS) { Start-Sleep -Milliseconds ([int]$env:DRKIT_STUB_SNAPSHOT_DELAY_MS) }
      if ([int]$a.SnapshotType -ne 32768 -and [int]$a.SnapshotType -ne 2) { return [pscustomobject]@{ ReturnValue = [uint32]32773 } }
      $x = Find-StubVm $a.AffectedSystem.Name
      $level = [int](ConvertFrom-StubEmbedded $a.SnapshotSettings).ConsistencyLevel
      $snapId = "Microsoft:$(New-StubGuid)"
      $fault = (Get-StubState).faults.CreateSnapshot
      $fallback = $level -eq 1 -and $x.vm.state -eq 'Running' -and $x.vm.vss -ne 'OK'
      Update-StubState {
        param($s)
        if ($fault) { return }
        $s.snapshots[$snapId] = @{ vmId = $x.id; name = "$($x.vm.name) - ($((Get-Date).ToString('M/d/yyyy - h:mm:ss tt')))"; created = (Get-Date).ToUniversalTime().ToString('o'); level = $(if ($fallback) { 2 } else { $level }); disks = @() }
        # As Hyper-V does: the disks' current files become the snapshot's (frozen: here a copy
        # of the data), and the VM goes on writing to a new differencing disk beside them.
        foreach ($d in $s.vms[$x.id].disks) {
          if (-not $d.vhd -or -not $s.images[$d.vhd.path]) { continue }
          $live = $s.images[$d.vhd.path]
          $frozen = Join-Path $env:DRKIT_STUB_DISKS "$($snapId.Substring(10))-$([IO.Path]::GetFileName($live))"
          if (Test-Path -LiteralPath $live) { Copy-Item -LiteralPath $live -Destination $frozen } else { $null = New-Item -ItemType File -Path $frozen }
          $s.snapshots[$snapId].disks += @{ controller = $d.controller; number = $d.number; location = $d.location; vhd = $d.vhd }
          $child = $d.vhd.path -replace '\.vhdx?$', "_$($snapId.Substring(10)).avhdx"
          $s.images[$d.vhd.path] = $frozen
          $s.images[$child] = $live
          $d.vhd = @{ path = $child; format = 'VHDX'; type = 'Differencing'; size = $d.vhd.size; fileSize = 4MB; parent = $d.vhd.path; diskIdentifier = $d.vhd.diskIdentifier }
        }
        if ($fallback) { $s.events += @{ log = 'Microsoft-Windows-Hyper-V-VMMS-Admin'; id = 18016; level = 3; time = (Get-Date).ToUniversalTime().ToString('o'); message = "Could not create a production checkpoint for '$($x.vm.name)' because the guest's VSS requestor did not respond. A standard checkpoint was created instead. (Virtual machine ID $($x.id))" } }
      } | Out-Null
      if ($fault) { return New-StubJob 'CreateSnapshot' $null ([int]$fault.jobState) ([string]$fault.message) }
      $r = New-StubJob 'CreateSnapshot' @{ class = 'Msvm_VirtualSystemSettingData'; id = $snapId }
      $r | Add-Member -NotePropertyName ResultingSnapshot -NotePropertyValue $null -PassThru
    }
    DestroySnapshot = {
      param($service, $a)
      $snapId = $a.AffectedSnapshot.InstanceID
      Update-StubState { param($s) Remove-StubSnapshot $s $snapId } | Out-Null
      New-StubJob 'DestroySnapshot' $null
    }
    # Only recovery snapshots convert; the snapshot merges away and the reference point holds
    # an RCT id per disk for the data as the snapshot froze it.
    ConvertToReferencePoint = {
      param($service, $a)
      $snapId = $a.AffectedSnapshot.InstanceID
      $refId = "Microsoft:$(New-StubGuid)"
      $ok = Update-StubState {
        param($s)
        $snap = $s.snapshots[$snapId]
        if (-not $snap) { return $false }
        $held = @(foreach ($sd in $snap.disks) { @{ virtualDisk = (Get-StubVirtualDiskId $snap.vmId $sd); rctId = (New-StubRctId $s $s.images[$sd.vhd.path]) } })
        $s.referencePoints[$refId] = @{ vmId = $snap.vmId; level = $snap.level; disks = $held }
        Remove-StubSnapshot $s $snapId
        $true
      }
      if (-not $ok) { return [pscustomobject]@{ ReturnValue = [uint32]4 } }
      New-StubJob 'ConvertToReferencePoint' @{ class = 'Msvm_VirtualSystemReferencePoint'; id = $refId }
    }
  }
}

$global:StubCim['Msvm_VirtualSystemReferencePoint'] = @{
  List = {
    foreach ($e in (Get-StubState).referencePoints.GetEnumerator()) {
      New-StubCim Msvm_VirtualSystemReferencePoint @{
        InstanceID = $e.Key; ReferencePointType = [uint16]2; ConsistencyLevel = [uint16]$e.Value.level; VirtualSystemIdentifier = $e.Value.vmId; HasAssociatedData = $false
        VirtualDiskIdentifiers = [string[]]@($e.Value.disks | ForEach-Object { $_.virtualDisk }); ResilientChangeTrackingIdentifiers = [string[]]@($e.Value.disks | ForEach-Object { $_.rctId })
      }
    }
  }
}

$global:StubCim['Msvm_VirtualSystemReferencePointService'] = @{
  List = { New-StubCim Msvm_VirtualSystemReferencePointService @{ Name = 'vsrefpointsvc'; ElementName = 'Microsoft Hyper-V Virtual System Reference Point Service' } 'Name' }
  Methods = @{
    DestroyReferencePoint = {
      param($service, $a)
      $refId = $a.AffectedReferencePoint.InstanceID
      Update-StubState {
        param($s)
        $ref = $s.referencePoints[$refId]
        if (-not $ref) { return }
        foreach ($d in $ref.disks) { if ($s.rct -and $s.rct[$d.rctId]) { Remove-Item -LiteralPath $s.rct[$d.rctId] -Force -ErrorAction SilentlyContinue; $s.rct.Remove($d.rctId) } }
        $s.referencePoints.Remove($refId)
      } | Out-Null
      New-StubJob 'DestroyReferencePoint' $null
    }
  }
}

$global:StubCim['Msvm_StorageAllocationSettingData'] = @{
  List = {
    foreach ($e in (Get-StubState).vms.GetEnumerator()) {
      foreach ($d in $e.Value.disks) { if ($d.vhd) { New-StubCim Msvm_StorageAllocationSettingData @{ InstanceID = (Get-StubVirtualDiskId $e.Key $d); ResourceType = [uint16]31; HostResource = [string[]]@($d.vhd.path); StubVmId = $e.Key } } }
    }
  }
}

# GetVirtualDiskChanges as documented: ByteLength must be less than the disk's size, and one
# call may cover less than asked (here at most 16 MiB), said in ProcessedByteLength.
$global:StubCim['Msvm_ImageManagementService'] = @{
  List = { New-StubCim Msvm_ImageManagementService @{ Name = 'vhdsvc'; ElementName = 'Microsoft Hyper-V Image Management Service' } 'Name' }
  Methods = @{
    GetVirtualDiskChanges = {
      param($service, $a)
      $s = Get-StubState
      $image = $s.images[[string]$a.Path]
      if (-not $image) { return [pscustomobject]@{ ReturnValue = [uint32]32779 } }
      $base = if ($s.rct) { $s.rct[[string]$a.LimitId] } else { $null }
      $size = [uint64](Get-Item -LiteralPath $image).Length
      if (-not $base -or -not (Test-Path -LiteralPath $base) -or [uint64]$a.ByteLength -ge $size -or [uint64]$a.ByteOffset + [uint64]$a.ByteLength -gt $size) { return [pscustomobject]@{ ReturnValue = [uint32]32773 } }
      $now = [IO.File]::ReadAllBytes($image); $then = [IO.File]::ReadAllBytes($base)
      $from = [uint64]$a.ByteOffset; $processed = [Math]::Min([uint64]$a.ByteLength, [uint64]16MB)
      $step = [uint64]65536; $offsets = [Collections.Generic.List[uint64]]::new(); $lengths = [Collections.Generic.List[uint64]]::new()
      for ($o = $from; $o -lt $from + $processed; $o += $step) {
        $n = [int][Math]::Min($step, $from + $processed - $o)
        if ([Linq.Enumerable]::SequenceEqual([ArraySegment[byte]]::new($now, [int]$o, $n), [ArraySegment[byte]]::new($then, [int]$o, $n))) { continue }
        if ($offsets.Count -gt 0 -and $offsets[$offsets.Count - 1] + $lengths[$lengths.Count - 1] -eq $o) { $lengths[$lengths.Count - 1] += [uint64]$n } else { $offsets.Add($o); $lengths.Add([uint64]$n) }
      }
      [pscustomobject]@{ ReturnValue = [uint32]0; ProcessedByteLength = $processed; ChangedByteOffsets = $offsets.ToArray(); ChangedByteLengths = $lengths.ToArray(); Job = $null }
    }
  }
}

$global:StubCim['Msvm_VirtualSystemManagementService'] = @{
  List = { New-StubCim Msvm_VirtualSystemManagementService @{ Name = 'vmms'; ElementName = 'Microsoft Hyper-V Virtual System Management Service' } 'Name' }
  Methods = @{
    ModifySystemSettings = {
      param($service, $a)
      $settings = ConvertFrom-StubEmbedded $a.SystemSettings
      Update-StubState { param($s) $snap = $s.snapshots[$settings.InstanceID]; if ($snap) { $snap.name = $settings.ElementName } } | Out-Null
      New-StubJob 'ModifySystemSettings' $null
    }
  }
}

# ---------------------------------------------------------------- making and removing VMs
# What a recovery uses, with the module's rules that bite: memory in whole 2 MiB, generation 2
# boots only VHDX from SCSI, a location holds one drive, a running VM cannot be removed, and
# Remove-VM leaves the VM's files where they are.
function New-VM {
  [CmdletBinding()]
  param([Parameter(Mandatory)][string]$Name, [int16]$Generation = 1, [long]$MemoryStartupBytes = 1GB, [switch]$NoVHD, [string]$Path, [string]$SwitchName)
  if (@(1, 2) -notcontains $Generation) { Write-Error -Category InvalidArgument -Message "Cannot validate argument on parameter 'Generation'. The argument `"$Generation`" does not belong to the set `"1,2`"." -ErrorAction Stop }
  if ($MemoryStartupBytes % 2MB -ne 0 -or $MemoryStartupBytes -lt 32MB) { Write-Error -Category InvalidArgument -Message "Failed to modify device 'Memory'. Invalid startup memory amount assigned for '$Name'. The amount of memory assigned to a virtual machine must be a multiple of 2 MB." -ErrorAction Stop }
  $root = if ($Path) { $Path } else { (Get-VMHost).VirtualMachinePath }
  $folder = Join-Path $root $Name
  $null = New-Item -ItemType Directory -Force -Path (Join-Path $folder 'Virtual Machines')
  $key = New-StubGuid
  $mac = '00155D' + (-join (1..3 | ForEach-Object { '{0:X2}' -f (Get-Random -Maximum 256) }))
  Update-StubState {
    param($s)
    $s.vms[$key] = @{ name = $Name; state = 'Off'; generation = [int]$Generation; version = '10.0'; cpus = 1; memory = $MemoryStartupBytes; checkpointType = 'Production'; path = $folder; icVersion = ''; vss = ''; notes = ''
      scsi = $(if ($Generation -eq 2) { 1 } else { 0 }); disks = @(); nics = @(@{ id = "Microsoft:$key\$(New-StubGuid)"; name = 'Network Adapter'; mac = $mac; switchId = $null; addresses = @() }) }
  } | Out-Null
  Get-VM -Id $key
}

function Set-VM {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [long]$ProcessorCount, [string]$Notes)
  $key = $VM.Id.ToString().ToUpperInvariant()
  $bound = $PSBoundParameters
  if ($bound.ContainsKey('ProcessorCount') -and ($ProcessorCount -lt 1 -or $ProcessorCount -gt (Get-StubState).host.processors)) { Write-Error -Category InvalidArgument -Message "Failed to modify device 'Processor'. The virtual machine '$($VM.Name)' cannot have $ProcessorCount processors: the host has $((Get-StubState).host.processors) logical processors." -ErrorAction Stop }
  Update-StubState {
    param($s)
    if ($bound.ContainsKey('ProcessorCount')) { $s.vms[$key].cpus = $ProcessorCount }
    if ($bound.ContainsKey('Notes')) { $s.vms[$key].notes = $Notes }
  } | Out-Null
}

function Remove-VMNetworkAdapter {
  [CmdletBinding()]
  param([Parameter(Mandatory, ValueFromPipeline)]$VMNetworkAdapter)
  process {
    $key = $VMNetworkAdapter.VMId.ToString().ToUpperInvariant(); $id = $VMNetworkAdapter.Id
    Update-StubState { param($s) $s.vms[$key].nics = @($s.vms[$key].nics | Where-Object { $_.id -ne $id }) } | Out-Null
  }
}

function Add-VMNetworkAdapter {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [string]$Name = 'Network Adapter', [string]$SwitchName)
  $switch = $null
  if ($SwitchName) {
    $switch = (Get-StubState).switches | Where-Object { $_.name -eq $SwitchName } | Select-Object -First 1
    if (-not $switch) { Write-Error -Category ObjectNotFound -Message "Hyper-V was unable to find a virtual switch with name `"$SwitchName`"." -ErrorAction Stop }
  }
  $key = $VM.Id.ToString().ToUpperInvariant()
  $mac = '00155D' + (-join (1..3 | ForEach-Object { '{0:X2}' -f (Get-Random -Maximum 256) }))
  Update-StubState { param($s) $s.vms[$key].nics = @($s.vms[$key].nics) + @(@{ id = "Microsoft:$key\$(New-StubGuid)"; name = $Name; mac = $mac; switchId = $(if ($switch) { $switch.id } else { $null }); addresses = @() }) } | Out-Null
}

function Get-VMScsiController {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM)
  $v = (Find-StubVm $VM.Id).vm
  for ($i = 0; $i -lt [int]$v.scsi; $i++) { [pscustomobject]@{ VMName = $v.name; ControllerNumber = $i } }
}

function Add-VMScsiController {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM)
  $key = $VM.Id.ToString().ToUpperInvariant()
  Update-StubState { param($s) $s.vms[$key].scsi = [int]$s.vms[$key].scsi + 1 } | Out-Null
}

function Add-VMHardDiskDrive {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [Parameter(Mandatory)][string]$Path, [string]$ControllerType = 'SCSI', [int]$ControllerNumber = 0, [int]$ControllerLocation = 0)
  $x = Find-StubVm $VM.Id
  if (-not (Test-Path -LiteralPath $Path)) { Write-Error -Category ObjectNotFound -Message "Failed to add device 'Virtual Hard Disk'. The system cannot find the file specified. ($Path)" -ErrorAction Stop }
  $isVhd = $Path -like '*.vhd'
  if ($x.vm.generation -eq 2 -and ($ControllerType -eq 'IDE' -or $isVhd)) { Write-Error -Category InvalidOperation -Message "Failed to add device 'Virtual Hard Disk'. A generation 2 virtual machine supports only VHDX files on SCSI controllers. ($Path)" -ErrorAction Stop }
  if ($ControllerType -eq 'SCSI' -and $ControllerNumber -ge [int]$x.vm.scsi) { Write-Error -Category ObjectNotFound -Message "No SCSI controller $ControllerNumber on '$($x.vm.name)'." -ErrorAction Stop }
  if (@($x.vm.disks | Where-Object { $_.controller -eq $ControllerType -and $_.number -eq $ControllerNumber -and $_.location -eq $ControllerLocation }).Count) { Write-Error -Category ResourceExists -Message "$ControllerType $($ControllerNumber):$ControllerLocation of '$($x.vm.name)' already holds a drive." -ErrorAction Stop }
  $length = (Get-Item -LiteralPath $Path).Length
  $size = if ($isVhd) { $length - 512 } else { $length }
  Update-StubState {
    param($s)
    $n = 0; foreach ($v in $s.vms.Values) { $n += @($v.disks).Count }
    $s.vms[$x.id].disks = @($s.vms[$x.id].disks) + @(@{ controller = $ControllerType; number = $ControllerNumber; location = $ControllerLocation
        vhd = @{ path = $Path; format = $(if ($isVhd) { 'VHD' } else { 'VHDX' }); type = $(if ($isVhd) { 'Fixed' } else { 'Dynamic' }); size = [long]$size; fileSize = [long]$length; parent = ''; diskIdentifier = ('{0:X8}-2C2D-4E3F-8A9B-0C1D2E3F4A5B' -f (0x2000 + $n)) } })
    $s.images[$Path] = $Path
  } | Out-Null
}

function Set-VMFirmware {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, $FirstBootDevice, [string]$SecureBootTemplate)
  $x = Find-StubVm $VM.Id
  if ($x.vm.generation -ne 2) { Write-Error -Category InvalidArgument -Message "'$($x.vm.name)' is a generation 1 virtual machine: it has no UEFI firmware." -ErrorAction Stop }
  if ($SecureBootTemplate -and @('MicrosoftWindows', 'MicrosoftUEFICertificateAuthority', 'OpenSourceShieldedVM') -notcontains $SecureBootTemplate) { Write-Error -Category InvalidArgument -Message "Unknown secure boot template '$SecureBootTemplate'." -ErrorAction Stop }
  Update-StubState { param($s) $s.vms[$x.id].firmware = @{ bootDisk = $(if ($FirstBootDevice) { [string]$FirstBootDevice.Path } else { $null }); secureBootTemplate = $(if ($SecureBootTemplate) { $SecureBootTemplate } else { 'MicrosoftWindows' }) } } | Out-Null
}

# A fixed VHD is checked as Hyper-V reads one (the footer's cookie, type, checksum and size);
# the "VHDX" written holds the raw data, which is how this stub keeps every virtual disk.
function Convert-VHD {
  [CmdletBinding()]
  param([Parameter(Mandatory)][string]$Path, [Parameter(Mandatory)][string]$DestinationPath, [string]$VHDType = 'Dynamic')
  if (-not (Test-Path -LiteralPath $Path)) { Write-Error -Category ObjectNotFound -Message "Failed to convert the virtual disk. The system cannot find the file specified. ($Path)" -ErrorAction Stop }
  if (Test-Path -LiteralPath $DestinationPath) { Write-Error -Category ResourceExists -Message "Failed to convert the virtual disk. The file exists. ($DestinationPath)" -ErrorAction Stop }
  $in = [IO.File]::OpenRead($Path)
  try {
    $footer = New-Object byte[] 512
    $in.Position = $in.Length - 512; $null = $in.Read($footer, 0, 512)
    $sum = 0; for ($i = 0; $i -lt 512; $i++) { if ($i -lt 64 -or $i -ge 68) { $sum += $footer[$i] } }
    $be = { param($o, $n) $v = [uint64]0; for ($k = 0; $k -lt $n; $k++) { $v = $v * 256 + $footer[$o + $k] }; $v }
    $ok = [Text.Encoding]::ASCII.GetString($footer, 0, 8) -eq 'conectix' -and (& $be 60 4) -eq 2 -and (& $be 64 4) -eq ((-bnot [long]$sum) -band 4294967295) -and (& $be 48 8) -eq ($in.Length - 512)
    if (-not $ok) { Write-Error -Category InvalidData -Message "Failed to convert the virtual disk. The file '$Path' is not a valid fixed virtual hard disk." -ErrorAction Stop }
    $in.Position = 0
    $out = [IO.File]::Open($DestinationPath, 'CreateNew', 'Write')
    try {
      $buf = New-Object byte[] 4MB; $left = $in.Length - 512
      while ($left -gt 0) { $r = $in.Read($buf, 0, [int][Math]::Min($buf.Length, $left)); if ($r -le 0) { break }; $out.Write($buf, 0, $r); $left -= $r }
    } finally { $out.Dispose() }
  } finally { $in.Dispose() }
}

function Remove-VM {
  [CmdletBinding(SupportsShouldProcess)]
  param([Parameter(Mandatory)]$VM, [switch]$Force)
  $x = Find-StubVm $VM.Id
  if ($x.vm.state -ne 'Off') { Write-Error -Category InvalidOperation -Message "The operation cannot be performed while the object is in its current state: '$($x.vm.name)' is $($x.vm.state)." -ErrorAction Stop }
  Update-StubState { param($s) foreach ($d in $s.vms[$x.id].disks) { if ($d.vhd) { $s.images.Remove($d.vhd.path) } }; $s.vms.Remove($x.id) } | Out-Null
}
