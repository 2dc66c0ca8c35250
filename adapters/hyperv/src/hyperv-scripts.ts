import type { PsOperation } from '@drkit/powershell';

/**
 * The fixed scripts of a Hyper-V host, for Windows PowerShell 5.1: results projected here
 * into plain hashtables (enums by name with .ToString(), dates as ISO 8601, explicit arrays),
 * so module versions and Windows builds cannot shift a number under drkit. Values arrive in
 * `$in`; the few that must enter a WQL filter are parsed as GUIDs or matched against strict
 * patterns first.
 */
const NS = String.raw`$ns = 'root\virtualization\v2'`;

// Msvm_ConcreteJob: 2–6 still going; 7 (completed) and 32768 (completed with warnings) are
// success; anything else (8 terminated, 9 killed, 10 exception, …) a failure with its text.
const WAIT_JOB = String.raw`
function Wait-DrkitJob($result, [string]$what) {
  if ($result.ReturnValue -eq 0) { return $null }
  if ($result.ReturnValue -ne 4096) { throw [InvalidOperationException]::new("$what failed with return value $($result.ReturnValue)") }
  $job = $result.Job
  do { Start-Sleep -Milliseconds 200; $job = Get-CimInstance -InputObject $job } while (@(2, 3, 4, 5, 6) -contains [int]$job.JobState)
  if (@(7, 32768) -notcontains [int]$job.JobState) { throw [InvalidOperationException]::new("$what failed: job state $($job.JobState): $($job.ErrorDescription)") }
  return $job
}
function ConvertTo-DrkitEmbedded($instance) {
  $serializer = [Microsoft.Management.Infrastructure.Serialization.CimSerializer]::Create()
  [Text.Encoding]::Unicode.GetString($serializer.Serialize($instance, [Microsoft.Management.Infrastructure.Serialization.InstanceSerializationOptions]::None))
}
function Get-DrkitVm([string]$vmId) {
  $id = [guid]::Parse($vmId).ToString()
  $vm = Get-CimInstance -Namespace $ns -ClassName Msvm_ComputerSystem -Filter "Name='$id'"
  if (-not $vm) { Write-Error -Category ObjectNotFound -Message "no virtual machine $id on this host" -ErrorAction Stop }
  $vm
}
function Get-DrkitTime($value) { if ($value) { ([datetime]$value).ToUniversalTime().ToString('o') } else { $null } }
`;

export const HYPERV_PROBE: PsOperation = {
  name: 'hyperv.probe',
  body: String.raw`
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$product = Get-CimInstance -ClassName Win32_ComputerSystemProduct
$vmhost = Get-VMHost
$module = Get-Module -ListAvailable -Name Hyper-V | Sort-Object Version -Descending | Select-Object -First 1
$cluster = $null
try { $cluster = [string](Get-Cluster -ErrorAction Stop).Name } catch { }
$replica = $null
try { $r = Get-VMReplicationServer -ErrorAction Stop; $replica = @{ enabled = [bool]$r.ReplicationEnabled; port = [int]$r.IntegratedAuthenticationPort } } catch { }
@{
  name = [string]$env:COMPUTERNAME; uuid = [string]$product.UUID
  os = [string]$os.Caption; version = [string]$os.Version; build = [int]$os.BuildNumber
  logicalProcessors = [int]$vmhost.LogicalProcessorCount; memoryBytes = [long]$vmhost.MemoryCapacity
  module = if ($module) { $module.Version.ToString() } else { $null }
  cluster = $cluster; replica = $replica
}
`,
};

export const HYPERV_DISCOVER: PsOperation = {
  name: 'hyperv.discover',
  body: String.raw`
$switches = @(Get-VMSwitch | ForEach-Object { @{ id = $_.Id.ToString(); name = [string]$_.Name; type = $_.SwitchType.ToString() } })
$vms = @(Get-VM | ForEach-Object {
  $vm = $_
  $disks = @(Get-VMHardDiskDrive -VM $vm | ForEach-Object {
    $d = $_
    $vhd = $null
    if ($d.Path -and $null -eq $d.DiskNumber) { try { $vhd = Get-VHD -Path $d.Path -ErrorAction Stop } catch { } }
    @{
      controller = $d.ControllerType.ToString(); controllerNumber = [int]$d.ControllerNumber; location = [int]$d.ControllerLocation
      path = [string]$d.Path; passThrough = ($null -ne $d.DiskNumber)
      vhd = if ($vhd) { @{ format = $vhd.VhdFormat.ToString(); type = $vhd.VhdType.ToString(); sizeBytes = [long]$vhd.Size; fileBytes = [long]$vhd.FileSize; parentPath = [string]$vhd.ParentPath; diskIdentifier = [string]$vhd.DiskIdentifier } } else { $null }
    }
  })
  $nics = @(Get-VMNetworkAdapter -VM $vm | ForEach-Object {
    @{ id = [string]$_.Id; name = [string]$_.Name; mac = [string]$_.MacAddress; switchId = if ($_.SwitchId) { $_.SwitchId.ToString() } else { $null }; connected = [bool]$_.Connected; addresses = @($_.IPAddresses | Where-Object { $_ } | ForEach-Object { [string]$_ }) }
  })
  $services = @(Get-VMIntegrationService -VM $vm | ForEach-Object { @{ name = [string]$_.Name; id = [string]$_.Id; enabled = [bool]$_.Enabled; status = [string]$_.PrimaryStatusDescription } })
  @{
    id = $vm.Id.ToString(); name = [string]$vm.Name; state = $vm.State.ToString(); generation = [int]$vm.Generation; version = [string]$vm.Version
    cpus = [int]$vm.ProcessorCount; memoryBytes = [long]$vm.MemoryStartup; checkpointType = $vm.CheckpointType.ToString()
    replicationState = $vm.ReplicationState.ToString(); replicationHealth = $vm.ReplicationHealth.ToString(); replicationMode = $vm.ReplicationMode.ToString()
    clustered = [bool]$vm.IsClustered; path = [string]$vm.Path; integrationServicesVersion = [string]$vm.IntegrationServicesVersion
    disks = $disks; nics = $nics; integrationServices = $services
  }
})
@{ switches = $switches; vms = $vms }
`,
};

// A recovery snapshot (SnapshotType 32768), the kind backup and replication use, through
// WMI so the consistency level is asked for explicitly. It is named with drkit's tag so a
// leftover is always findable. Whatever the job or the VMMS log says about the consistency
// achieved comes back for the adapter to judge.
export const HYPERV_SNAPSHOT_TAKE: PsOperation = {
  name: 'hyperv.snapshot.take',
  body: String.raw`
${NS}
${WAIT_JOB}
$tag = [string]$in.tag
if ($tag -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$') { Write-Error -Category InvalidArgument -Message 'bad snapshot tag' -ErrorAction Stop }
$vm = Get-DrkitVm ([string]$in.vmId)
$before = Get-VM -Id ([guid]::Parse([string]$in.vmId))
$vss = $before | Get-VMIntegrationService | Where-Object { ([string]$_.Id).ToUpper().EndsWith('84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47') } | Select-Object -First 1
$settings = New-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemSnapshotSettingData -ClientOnly -Property @{ ConsistencyLevel = [byte]$in.level; IgnoreNonSnapshottableDisks = $true }
$service = Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemSnapshotService
$started = Get-Date
$r = Invoke-CimMethod -InputObject $service -MethodName CreateSnapshot -Arguments @{ AffectedSystem = $vm; SnapshotSettings = (ConvertTo-DrkitEmbedded $settings); SnapshotType = [uint16]32768 }
$job = Wait-DrkitJob $r 'CreateSnapshot'
$snap = if ($r.ResultingSnapshot) { Get-CimInstance -InputObject $r.ResultingSnapshot } else { Get-CimAssociatedInstance -InputObject $job -ResultClassName Msvm_VirtualSystemSettingData | Select-Object -First 1 }
$snap.ElementName = $tag
$management = Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemManagementService
$null = Wait-DrkitJob (Invoke-CimMethod -InputObject $management -MethodName ModifySystemSettings -Arguments @{ SystemSettings = (ConvertTo-DrkitEmbedded $snap) }) 'ModifySystemSettings'
$id = $vm.Name
$events = @(Get-WinEvent -FilterHashtable @{ LogName = 'Microsoft-Windows-Hyper-V-VMMS-Admin'; StartTime = $started } -ErrorAction SilentlyContinue |
  Where-Object { $_.Level -le 3 -and $_.Message -match [regex]::Escape($id) } | ForEach-Object { @{ id = [int]$_.Id; message = [string]$_.Message } })
@{
  snapshotId = [string]$snap.InstanceID; name = $tag; created = (Get-DrkitTime $snap.CreationTime)
  jobState = if ($job) { [int]$job.JobState } else { 7 }; jobMessage = if ($job) { [string]$job.ErrorDescription } else { '' }
  events = $events; vmState = $before.State.ToString()
  vss = if ($vss) { @{ enabled = [bool]$vss.Enabled; status = [string]$vss.PrimaryStatusDescription } } else { $null }
}
`,
};

const SNAPSHOT_ID = String.raw`
$sid = [string]$in.snapshotId
if ($sid -notmatch '^Microsoft:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$') { Write-Error -Category InvalidArgument -Message 'bad snapshot id' -ErrorAction Stop }
`;

export const HYPERV_SNAPSHOT_DELETE: PsOperation = {
  name: 'hyperv.snapshot.delete',
  body: String.raw`
${NS}
${WAIT_JOB}
${SNAPSHOT_ID}
$snap = Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemSettingData -Filter "InstanceID='$sid'"
if ($snap) {
  $service = Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemSnapshotService
  $null = Wait-DrkitJob (Invoke-CimMethod -InputObject $service -MethodName DestroySnapshot -Arguments @{ AffectedSnapshot = $snap }) 'DestroySnapshot'
}
`,
};

export const HYPERV_SNAPSHOT_LIST: PsOperation = {
  name: 'hyperv.snapshot.list',
  body: String.raw`
${NS}
${WAIT_JOB}
$prefix = [string]$in.prefix
Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemSettingData -Filter "VirtualSystemType LIKE 'Microsoft:Hyper-V:Snapshot:%'" |
  Where-Object { ([string]$_.ElementName).StartsWith($prefix, [StringComparison]::Ordinal) } |
  ForEach-Object { @{ vmId = [string]$_.VirtualSystemIdentifier; snapshotId = [string]$_.InstanceID; name = [string]$_.ElementName; created = (Get-DrkitTime $_.CreationTime) } }
`,
};

/**
 * One disk of a recovery snapshot, made readable: the snapshot's own file (the parent the VM
 * stopped writing to when the snapshot was taken) mounted read-only without a drive letter;
 * the block helper then reads the disk device Windows made of it.
 */
// The recovery snapshot named by $in.snapshotId, and its virtual hard disks.
const SNAPSHOT_DRIVES = String.raw`
${SNAPSHOT_ID}
$vm = Get-VM -Id ([guid]::Parse([string]$in.vmId))
$id = [guid]::Parse($sid.Substring(10))
$snap = Get-VMSnapshot -VM $vm -SnapshotType Recovery | Where-Object { $_.Id -eq $id } | Select-Object -First 1
if (-not $snap) { Write-Error -Category ObjectNotFound -Message "no recovery snapshot $sid of this VM" -ErrorAction Stop }
$drives = @(Get-VMHardDiskDrive -VMSnapshot $snap | Where-Object { $_.Path })
`;
const SNAPSHOT_DRIVE = String.raw`
${SNAPSHOT_DRIVES}
$drive = $drives | Where-Object { $_.ControllerType.ToString() -eq [string]$in.controller -and $_.ControllerNumber -eq [int]$in.controllerNumber -and $_.ControllerLocation -eq [int]$in.location } | Select-Object -First 1
if (-not $drive) { Write-Error -Category ObjectNotFound -Message 'the snapshot has no virtual hard disk at that controller location' -ErrorAction Stop }
`;

// Resilient change tracking, all through WMI (Windows Server 2016+). After a run has read a
// recovery snapshot, ConvertToReferencePoint turns it into an RCT reference point: the
// snapshot merges away and the reference point keeps each virtual disk's RCT id valid. The next
// run asks Msvm_ImageManagementService.GetVirtualDiskChanges what changed on its new snapshot's
// disk since that id. Reference points carry no name, so drkit destroys only those whose every
// RCT id its store recorded.
const REFERENCE_POINTS = String.raw`
$vmGuid = [guid]::Parse([string]$in.vmId).ToString()
function Get-DrkitReferencePoints { @(Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemReferencePoint -Filter "VirtualSystemIdentifier='$vmGuid'") }
`;

/** The read recovery snapshot becomes a reference point; its RCT ids come back per disk. */
export const HYPERV_REFERENCE_POINT: PsOperation = {
  name: 'hyperv.rct.reference',
  body: String.raw`
${NS}
${WAIT_JOB}
${SNAPSHOT_ID}
${REFERENCE_POINTS}
$vm = Get-DrkitVm $vmGuid
$snap = Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemSettingData -Filter "InstanceID='$sid'"
if (-not $snap -or $snap.VirtualSystemType -ne 'Microsoft:Hyper-V:Snapshot:Recovery') { Write-Error -Category ObjectNotFound -Message "no recovery snapshot $sid to convert" -ErrorAction Stop }
$before = @(Get-DrkitReferencePoints | ForEach-Object { [string]$_.InstanceID })
$service = Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemSnapshotService
$r = Invoke-CimMethod -InputObject $service -MethodName ConvertToReferencePoint -Arguments @{ AffectedSnapshot = $snap; ReferencePointSettings = '' }
$job = Wait-DrkitJob $r 'ConvertToReferencePoint'
$ref = if ($r.ResultingReferencePoint) { Get-CimInstance -InputObject $r.ResultingReferencePoint } elseif ($job) { Get-CimAssociatedInstance -InputObject $job -ResultClassName Msvm_VirtualSystemReferencePoint | Select-Object -First 1 }
if (-not $ref) { $ref = Get-DrkitReferencePoints | Where-Object { $before -notcontains [string]$_.InstanceID } | Select-Object -First 1 }
if (-not $ref) { throw [InvalidOperationException]::new('ConvertToReferencePoint finished without a reference point') }
# VirtualDiskIdentifiers name the VM's virtual hard disks (Msvm_StorageAllocationSettingData),
# in the order of the RCT ids; each one's HostResource is the file a drive of the VM holds.
$settings = Get-CimAssociatedInstance -InputObject $vm -Association Msvm_SettingsDefineState -ResultClassName Msvm_VirtualSystemSettingData | Select-Object -First 1
$vhds = @(Get-CimAssociatedInstance -InputObject $settings -ResultClassName Msvm_StorageAllocationSettingData)
$drives = @(Get-VMHardDiskDrive -VM (Get-VM -Id ([guid]$vmGuid)) | Where-Object { $_.Path })
$ids = @($ref.VirtualDiskIdentifiers); $rcts = @($ref.ResilientChangeTrackingIdentifiers)
$disks = @(for ($k = 0; $k -lt $ids.Count; $k++) {
  $vhd = $vhds | Where-Object { [string]$_.InstanceID -eq [string]$ids[$k] } | Select-Object -First 1
  $file = if ($vhd) { [string]@($vhd.HostResource)[0] } else { '' }
  $drive = $drives | Where-Object { $file -and $_.Path -eq $file } | Select-Object -First 1
  @{
    virtualDisk = [string]$ids[$k]; rctId = if ($k -lt $rcts.Count) { [string]$rcts[$k] } else { $null }
    controller = if ($drive) { $drive.ControllerType.ToString() } else { $null }
    controllerNumber = if ($drive) { [int]$drive.ControllerNumber } else { $null }
    location = if ($drive) { [int]$drive.ControllerLocation } else { $null }
  }
})
@{ referencePoint = [string]$ref.InstanceID; type = [int]$ref.ReferencePointType; disks = $disks }
`,
};

/** Destroys this VM's reference points whose every RCT id is one of $in.rctIds; returns their ids. */
export const HYPERV_REFERENCE_RELEASE: PsOperation = {
  name: 'hyperv.rct.release',
  body: String.raw`
${NS}
${WAIT_JOB}
${REFERENCE_POINTS}
$drop = @($in.rctIds | ForEach-Object { [string]$_ })
$service = Get-CimInstance -Namespace $ns -ClassName Msvm_VirtualSystemReferencePointService
Get-DrkitReferencePoints | Where-Object {
  $held = @($_.ResilientChangeTrackingIdentifiers | ForEach-Object { [string]$_ })
  $held.Count -gt 0 -and @($held | Where-Object { $drop -notcontains $_ }).Count -eq 0
} | ForEach-Object {
  $null = Wait-DrkitJob (Invoke-CimMethod -InputObject $service -MethodName DestroyReferencePoint -Arguments @{ AffectedReferencePoint = $_ }) 'DestroyReferencePoint'
  [string]$_.InstanceID
}
`,
};

// Msvm_ImageManagementService's failure codes, by name.
const IMAGE_ERRORS = String.raw`
$imageErrors = @{ 32768 = 'Failed'; 32769 = 'Access denied'; 32770 = 'Not supported'; 32771 = 'Status is unknown'; 32772 = 'Timeout'; 32773 = 'Invalid parameter'; 32774 = 'System is in use'; 32775 = 'Invalid state for this operation'; 32776 = 'Incorrect data type'; 32777 = 'System is not available'; 32778 = 'Out of memory'; 32779 = 'File not found' }
`;

/**
 * What changed on one snapshot disk since an RCT id, as offset/length pairs; a refusal (a
 * lost id) comes back as a reason. GetVirtualDiskChanges may cover less than asked
 * (ProcessedByteLength), so it is called until the disk is covered; the length asked must
 * be less than the disk's size, so the first call stops one byte short.
 */
export const HYPERV_RCT_CHANGES: PsOperation = {
  name: 'hyperv.rct.changes',
  body: String.raw`
${NS}
${WAIT_JOB}
${IMAGE_ERRORS}
${SNAPSHOT_DRIVE}
$images = Get-CimInstance -Namespace $ns -ClassName Msvm_ImageManagementService
$size = [uint64]$in.sizeBytes
$found = [Collections.Generic.List[uint64]]::new()
$at = [uint64]0
$why = $null
while ($at -lt $size) {
  $length = [uint64][Math]::Min($size - $at, $size - 1)
  $r = Invoke-CimMethod -InputObject $images -MethodName GetVirtualDiskChanges -Arguments @{ Path = [string]$drive.Path; LimitId = [string]$in.rctId; TargetSnapshotId = ''; ByteOffset = $at; ByteLength = $length }
  if ($r.ReturnValue -eq 4096) { $null = Wait-DrkitJob $r 'GetVirtualDiskChanges' }
  elseif ($r.ReturnValue -ne 0) { $why = "GetVirtualDiskChanges refused: $($r.ReturnValue) ($($imageErrors[[int]$r.ReturnValue]))"; break }
  $offsets = @($r.ChangedByteOffsets); $lengths = @($r.ChangedByteLengths)
  if ($offsets.Count -ne $lengths.Count) { $why = 'GetVirtualDiskChanges returned offsets and lengths that do not pair'; break }
  for ($k = 0; $k -lt $offsets.Count; $k++) { $found.Add([uint64]$offsets[$k]); $found.Add([uint64]$lengths[$k]) }
  if ([uint64]$r.ProcessedByteLength -eq 0) { $why = "GetVirtualDiskChanges made no progress at byte $at"; break }
  $at += [uint64]$r.ProcessedByteLength
}
if ($why) { @{ error = $why } } else { @{ ranges = $found.ToArray() } }
`,
};

export const HYPERV_DISK_ATTACH: PsOperation = {
  name: 'hyperv.disk.attach',
  body: String.raw`
${SNAPSHOT_DRIVE}
$vhd = Mount-VHD -Path $drive.Path -ReadOnly -NoDriveLetter -Passthru
$disk = Get-Disk -Number $vhd.DiskNumber
@{ device = [string]$disk.Path; sizeBytes = [long]$vhd.Size; vhdPath = [string]$drive.Path }
`,
};

export const HYPERV_DISK_DETACH: PsOperation = {
  name: 'hyperv.disk.detach',
  body: String.raw`
Dismount-VHD -Path ([string]$in.vhdPath)
`,
};

export const HYPERV_OPERATIONS: readonly PsOperation[] = [
  HYPERV_PROBE,
  HYPERV_DISCOVER,
  HYPERV_SNAPSHOT_TAKE,
  HYPERV_SNAPSHOT_DELETE,
  HYPERV_SNAPSHOT_LIST,
  HYPERV_DISK_ATTACH,
  HYPERV_DISK_DETACH,
  HYPERV_RCT_CHANGES,
  HYPERV_REFERENCE_POINT,
  HYPERV_REFERENCE_RELEASE,
];
