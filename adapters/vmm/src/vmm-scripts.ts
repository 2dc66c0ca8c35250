import type { PsOperation } from '@drkit/powershell';

/**
 * The fixed scripts run on (or against) a System Center VMM server, Windows PowerShell 5.1
 * with the virtualmachinemanager module. Each connects with Get-SCVMMServer; a credential,
 * when given, is built here into a PSCredential from the JSON on stdin — never from script
 * text. Results are projected here: enums by name, ids as strings, dates ISO 8601.
 */
const CONNECT = String.raw`
Import-Module virtualmachinemanager -ErrorAction Stop
$connect = @{ ComputerName = [string]$in.server }
if ($in.credential) { $connect.Credential = [pscredential]::new([string]$in.credential.username, (ConvertTo-SecureString -String ([string]$in.credential.password) -AsPlainText -Force)) }
$vmm = Get-SCVMMServer @connect
function Wait-DrkitScJob($job, [string]$what) {
  do { Start-Sleep -Milliseconds 500; $job = Get-SCJob -VMMServer $vmm -ID $job.ID } while (@('Completed', 'Failed', 'Canceled', 'SucceedWithInfo') -notcontains $job.Status.ToString())
  if (@('Completed', 'SucceedWithInfo') -notcontains $job.Status.ToString()) { throw [InvalidOperationException]::new("$what failed: $($job.Status): $($job.ErrorInfo.Problem)") }
}
function Get-DrkitTime($value) { if ($value) { ([datetime]$value).ToUniversalTime().ToString('o') } else { $null } }
function Get-DrkitVm([string]$id) {
  $vm = Get-SCVirtualMachine -VMMServer $vmm -ID ([guid]::Parse($id))
  if (-not $vm) { Write-Error -Category ObjectNotFound -Message "no virtual machine $id in VMM" -ErrorAction Stop }
  $vm
}
`;

export const VMM_PROBE: PsOperation = {
  name: 'vmm.probe',
  body: String.raw`
${CONNECT}
@{ name = [string]$vmm.Name; fqdn = [string]$vmm.FQDN; version = [string]$vmm.ProductVersion; port = [int]$vmm.Port }
`,
};

const id = (expr: string) => `if (${expr}) { ${expr}.ID.ToString() } else { $null }`;

export const VMM_DISCOVER: PsOperation = {
  name: 'vmm.discover',
  body: String.raw`
${CONNECT}
@{
  hostGroups = @(Get-SCVMHostGroup -VMMServer $vmm | ForEach-Object { @{ id = $_.ID.ToString(); name = [string]$_.Name; path = [string]$_.Path } })
  clouds = @(Get-SCCloud -VMMServer $vmm | ForEach-Object { @{ id = $_.ID.ToString(); name = [string]$_.Name; hostGroupIds = @($_.HostGroup | ForEach-Object { $_.ID.ToString() }) } })
  hosts = @(Get-SCVMHost -VMMServer $vmm | ForEach-Object {
    @{ id = $_.ID.ToString(); name = [string]$_.Name; fqdn = [string]$_.FQDN; cluster = if ($_.HostCluster) { [string]$_.HostCluster.Name } else { $null }
       os = [string]$_.OperatingSystem; state = $_.OverallState.ToString(); hostGroupId = ${id('$_.VMHostGroup')} }
  })
  vmNetworks = @(Get-SCVMNetwork -VMMServer $vmm | ForEach-Object { @{ id = $_.ID.ToString(); name = [string]$_.Name; logicalNetwork = if ($_.LogicalNetwork) { [string]$_.LogicalNetwork.Name } else { $null } } })
  vms = @(Get-SCVirtualMachine -VMMServer $vmm -All | ForEach-Object {
    $vm = $_
    @{
      id = $vm.ID.ToString(); vmId = [string]$vm.VMId; name = [string]$vm.Name; status = $vm.Status.ToString(); cpus = [int]$vm.CPUCount; memoryMB = [long]$vm.Memory
      hostId = ${id('$vm.VMHost')}; cloudId = ${id('$vm.Cloud')}; checkpointType = [string]$vm.CheckpointType
      disks = @($vm.VirtualDiskDrives | ForEach-Object {
        @{ id = $_.ID.ToString(); bus = $_.BusType.ToString(); busNumber = [int]$_.Bus; lun = [int]$_.Lun; path = [string]$_.VirtualHardDisk.Location
           sizeBytes = [long]$_.VirtualHardDisk.MaximumSize; type = [string]$_.VirtualHardDisk.VHDType; format = [string]$_.VirtualHardDisk.VHDFormatType }
      })
      nics = @($vm.VirtualNetworkAdapters | ForEach-Object { @{ id = $_.ID.ToString(); mac = [string]$_.MACAddress; vmNetworkId = ${id('$_.VMNetwork')}; addresses = @($_.IPv4Addresses | ForEach-Object { [string]$_ }) } })
    }
  })
  luns = @(Get-SCStorageLogicalUnit -VMMServer $vmm | ForEach-Object { @{ id = $_.ID.ToString(); name = [string]$_.Name; arrayName = if ($_.StorageArray) { [string]$_.StorageArray.Name } else { $null }; sizeBytes = [long]$_.TotalCapacity } })
  replicationGroups = @(Get-SCReplicationGroup -VMMServer $vmm | ForEach-Object {
    @{ id = $_.ID.ToString(); name = [string]$_.Name; state = [string]$_.ReplicationState; health = [string]$_.ReplicationHealth; isPrimary = [bool]$_.IsPrimary; lunIds = @($_.StorageLogicalUnits | ForEach-Object { $_.ID.ToString() }) }
  })
}
`,
};

// A VMM checkpoint follows the VM's checkpoint type; VMM does not say whether a production
// checkpoint fell back to a standard one, so the type comes back for the adapter to judge.
export const VMM_CHECKPOINT_TAKE: PsOperation = {
  name: 'vmm.checkpoint.take',
  body: String.raw`
${CONNECT}
$tag = [string]$in.tag
if ($tag -notmatch '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$') { Write-Error -Category InvalidArgument -Message 'bad checkpoint tag' -ErrorAction Stop }
$vm = Get-DrkitVm ([string]$in.vmmId)
$null = New-SCVMCheckpoint -VM $vm -Name $tag -Description ('drkit:' + $tag) -RunAsynchronously -JobVariable job
Wait-DrkitScJob $job 'New-SCVMCheckpoint'
$cp = Get-SCVMCheckpoint -VM $vm | Where-Object { $_.Name -eq $tag } | Select-Object -First 1
@{ id = $cp.ID.ToString(); name = [string]$cp.Name; created = (Get-DrkitTime $cp.AddedTime); checkpointType = [string]$vm.CheckpointType; status = $vm.Status.ToString() }
`,
};

export const VMM_CHECKPOINT_DELETE: PsOperation = {
  name: 'vmm.checkpoint.delete',
  body: String.raw`
${CONNECT}
$vm = Get-DrkitVm ([string]$in.vmmId)
$cid = [guid]::Parse([string]$in.checkpointId)
$cp = Get-SCVMCheckpoint -VM $vm | Where-Object { $_.ID -eq $cid } | Select-Object -First 1
if ($cp) { $null = Remove-SCVMCheckpoint -VMCheckpoint $cp -RunAsynchronously -JobVariable job; Wait-DrkitScJob $job 'Remove-SCVMCheckpoint' }
`,
};

export const VMM_CHECKPOINT_LIST: PsOperation = {
  name: 'vmm.checkpoint.list',
  body: String.raw`
${CONNECT}
Get-SCVMCheckpoint -VMMServer $vmm | Where-Object { ([string]$_.Description).StartsWith('drkit:', [StringComparison]::Ordinal) } |
  ForEach-Object { @{ id = $_.ID.ToString(); vmmId = $_.VM.ID.ToString(); name = [string]$_.Name; created = (Get-DrkitTime $_.AddedTime) } }
`,
};

/** SAN replication of a VMM replication group: one operation, followed to its end, then the group's state. */
export const VMM_REPLICATION_OPERATE: PsOperation = {
  name: 'vmm.replication.operate',
  body: String.raw`
${CONNECT}
$operation = [string]$in.operation
if (@('EnableProtection', 'PrepareForFailover', 'Failover', 'ReverseRoles', 'TearDown') -notcontains $operation) { Write-Error -Category InvalidArgument -Message 'unknown replication operation' -ErrorAction Stop }
$gid = [guid]::Parse([string]$in.groupId)
$group = Get-SCReplicationGroup -VMMServer $vmm | Where-Object { $_.ID -eq $gid } | Select-Object -First 1
if (-not $group) { Write-Error -Category ObjectNotFound -Message "no replication group $gid" -ErrorAction Stop }
$null = Set-SCReplicationGroup -ReplicationGroup $group -Operation $operation -RunAsynchronously -JobVariable job
Wait-DrkitScJob $job "Set-SCReplicationGroup -Operation $operation"
$group = Get-SCReplicationGroup -VMMServer $vmm | Where-Object { $_.ID -eq $gid } | Select-Object -First 1
@{ id = $group.ID.ToString(); name = [string]$group.Name; state = [string]$group.ReplicationState; health = [string]$group.ReplicationHealth; isPrimary = [bool]$group.IsPrimary }
`,
};

export const VMM_OPERATIONS: readonly PsOperation[] = [
  VMM_PROBE,
  VMM_DISCOVER,
  VMM_CHECKPOINT_TAKE,
  VMM_CHECKPOINT_DELETE,
  VMM_CHECKPOINT_LIST,
  VMM_REPLICATION_OPERATE,
];
