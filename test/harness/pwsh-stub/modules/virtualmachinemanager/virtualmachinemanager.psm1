# MOCK of System Center VMM 2022's virtualmachinemanager module, after the cmdlet reference:
# objects with the properties drkit's scripts read (IDs as GUIDs, enums with VMM's names —
# their numeric values are not relied on), jobs that -RunAsynchronously -JobVariable hands
# back and Get-SCJob follows, and the state rules VMM enforces on replication groups.
# The server's name and the accepted credential come from the environment the test sets.
. "$PSScriptRoot/../../stub-common.ps1"
$env:COMPUTERNAME = 'VMM01'

enum VMComputerSystemState { Running = 0; PowerOff = 1; PoweringOff = 2; Saved = 3; Saving = 4; Restoring = 5; Paused = 6; Starting = 7; Stopping = 8; UnderCreation = 100; CreationFailed = 101 }
enum ComputerState { OK = 0; NeedsAttention = 1; NotResponding = 2; Updating = 3 }
enum TaskStatus { Running = 0; Completed = 1; Failed = 2; Canceled = 3; SucceedWithInfo = 4 }
enum VMBusType { IDE = 0; SCSI = 1 }

$StubIds = @{
  root = '0e3ba228-a059-46be-aa41-2f5cf0f4b96e'; prod = '5f7b1c3e-2d4a-4b6c-8e9f-0a1b2c3d4e5f'; cloud = '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d'
  hv1 = 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d'; hv2 = 'b1c2d3e4-f5a6-4b7c-9d8e-0f1a2b3c4d5e'
  sql = 'c2d3e4f5-a6b7-4c8d-8e9f-1a2b3c4d5e6f'; app = 'd3e4f5a6-b7c8-4d9e-9f0a-2b3c4d5e6f7a'
  netProd = 'e4f5a6b7-c8d9-4e0f-8a1b-3c4d5e6f7a8b'; netDr = 'f5a6b7c8-d9e0-4f1a-9b2c-4d5e6f7a8b9c'
  lun1 = '16a7b8c9-d0e1-4f2a-8b3c-5d6e7f8a9b0c'; lun2 = '27b8c9d0-e1f2-4a3b-9c4d-6e7f8a9b0c1d'; rg = '38c9d0e1-f2a3-4b4c-8d5e-7f8a9b0c1d2e'
}

function New-StubSeed {
  $vm = { param($id, $vmId, $name, $checkpointType, $disks, $ip, $mac)
    # The recovery site's VMM (DRKIT_STUB_ROLE=replica) has the VMs' replicas on hv02.
    @{ id = $id; vmId = $vmId; name = $name; status = 'Running'; cpus = 4; memoryMB = 16384; hostId = $(if ($env:DRKIT_STUB_ROLE -eq 'replica') { $StubIds.hv2 } else { $StubIds.hv1 }); cloudId = $StubIds.cloud; checkpointType = $checkpointType
       disks = @(for ($i = 0; $i -lt $disks.Count; $i++) { @{ id = '{0}-0000-4000-8000-00000000000{1}' -f $id.Substring(0, 8), $i; lun = $i; path = "C:\ClusterStorage\Volume1\$name\$name-disk$i.vhdx"; size = [long]$disks[$i] * 1GB } })
       nic = @{ id = '{0}-1111-4000-8000-000000000001' -f $id.Substring(0, 8); mac = $mac; vmNetworkId = $StubIds.netProd; ip = $ip } } }
  @{
    vms = [ordered]@{
      $StubIds.sql = (& $vm $StubIds.sql '6B1E2A4C-8D3F-4E5A-9B7C-1D2E3F4A5B6C' 'SQL01' 'ProductionOnly' @(127, 500) '192.0.2.61' '00:1D:D8:B7:1C:01')
      $StubIds.app = (& $vm $StubIds.app '7C2F3B5D-9E4A-4F6B-8C8D-2E3F4A5B6C7D' 'APP01' 'Production' @(80) '192.0.2.62' '00:1D:D8:B7:1C:02')
    }
    group = @{ state = 'Replicating'; health = 'Normal'; isPrimary = $true }
    checkpoints = [ordered]@{}
    jobs = @{}
  }
}

function Assert-StubServer($VMMServer) { if (-not $VMMServer -or -not $VMMServer.IsConnected) { Write-Error -Category ConnectionError -Message 'No connection to a VMM management server.' -ErrorAction Stop } }

function Get-SCVMMServer {
  [CmdletBinding()]
  param([Parameter(Mandatory, Position = 0)][string]$ComputerName, [pscredential]$Credential)
  $expected = if ($env:DRKIT_STUB_VMM_SERVER) { $env:DRKIT_STUB_VMM_SERVER } else { 'localhost' }
  if ($ComputerName -ne $expected) { Write-Error -Category ConnectionError -Message "Unable to connect to the VMM management server $ComputerName. (Error ID: 1601)" -ErrorAction Stop }
  if ($env:DRKIT_STUB_VMM_USER -and ($Credential.UserName -ne $env:DRKIT_STUB_VMM_USER -or $Credential.GetNetworkCredential().Password -ne $env:DRKIT_STUB_VMM_PASSWORD)) {
    Write-Error -Category AuthenticationError -Message 'You cannot access the VMM management server with the credentials given. (Error ID: 1604)' -ErrorAction Stop
  }
  [pscustomobject]@{ Name = 'vmm01'; FQDN = 'vmm01.corp.example'; ProductVersion = '10.22.1287.0'; Port = 8100; IsConnected = $true }
}

function New-StubRef([string]$id, [string]$name, [hashtable]$more = @{}) { [pscustomobject](@{ ID = [guid]$id; Name = $name } + $more) }
function Get-StubHostGroup([string]$id) { if ($id -eq $StubIds.root) { New-StubRef $StubIds.root 'All Hosts' @{ Path = 'All Hosts' } } else { New-StubRef $StubIds.prod 'Production' @{ Path = 'All Hosts\Production' } } }

function Get-SCVMHostGroup { [CmdletBinding()] param($VMMServer) Assert-StubServer $VMMServer; Get-StubHostGroup $StubIds.root; Get-StubHostGroup $StubIds.prod }
function Get-SCCloud { [CmdletBinding()] param($VMMServer) Assert-StubServer $VMMServer; New-StubRef $StubIds.cloud 'Tier1-Cloud' @{ HostGroup = @(Get-StubHostGroup $StubIds.prod) } }

function Get-StubVMHost([string]$id) {
  $name = if ($id -eq $StubIds.hv1) { 'hv01' } else { 'hv02' }
  New-StubRef $id $name @{ FQDN = "$name.corp.example"; HostCluster = (New-StubRef '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' 'HVCLUSTER01'); OperatingSystem = [pscustomobject]@{ Name = 'Windows Server 2022 Datacenter' } | Add-Member ScriptMethod ToString { $this.Name } -Force -PassThru
    OverallState = [ComputerState]::OK; VMHostGroup = (Get-StubHostGroup $StubIds.prod) }
}
function Get-SCVMHost { [CmdletBinding()] param($VMMServer) Assert-StubServer $VMMServer; Get-StubVMHost $StubIds.hv1; Get-StubVMHost $StubIds.hv2 }

function Get-StubVMNetwork([string]$id) { if ($id -eq $StubIds.netProd) { New-StubRef $id 'Prod-VMNet' @{ LogicalNetwork = (New-StubRef '11111111-2222-4333-8444-555555555555' 'Datacenter') } } else { New-StubRef $id 'DR-VMNet' @{ LogicalNetwork = (New-StubRef '66666666-7777-4888-9999-000000000000' 'DR-Datacenter') } } }
function Get-SCVMNetwork { [CmdletBinding()] param($VMMServer) Assert-StubServer $VMMServer; Get-StubVMNetwork $StubIds.netProd; Get-StubVMNetwork $StubIds.netDr }

function ConvertTo-StubVm($v) {
  $running = $v.status -eq 'Running'
  New-StubRef $v.id $v.name @{
    VMId = $v.vmId; Status = [VMComputerSystemState]$v.status; CPUCount = $v.cpus; Memory = $v.memoryMB; VMHost = (Get-StubVMHost $v.hostId)
    Cloud = (New-StubRef $v.cloudId 'Tier1-Cloud'); CheckpointType = $v.checkpointType
    VirtualDiskDrives = @($v.disks | ForEach-Object { New-StubRef $_.id "$($v.name)-disk$($_.lun)" @{ BusType = [VMBusType]::SCSI; Bus = 0; Lun = $_.lun
        VirtualHardDisk = [pscustomobject]@{ Location = $_.path; MaximumSize = [uint64]$_.size; VHDType = 'DynamicallyExpanding'; VHDFormatType = 'VHDX' } } })
    VirtualNetworkAdapters = @(New-StubRef $v.nic.id 'Network Adapter' @{ MACAddress = $v.nic.mac; VMNetwork = (Get-StubVMNetwork $v.nic.vmNetworkId); IPv4Addresses = [string[]]$(if ($running) { @($v.nic.ip) } else { @() }) })
  }
}

function Get-SCVirtualMachine {
  [CmdletBinding()]
  param($VMMServer, [guid]$ID, [switch]$All)
  Assert-StubServer $VMMServer
  foreach ($v in (Get-StubState).vms.Values) { if (-not $PSBoundParameters.ContainsKey('ID') -or [guid]$v.id -eq $ID) { ConvertTo-StubVm $v } }
}

function Get-SCStorageLogicalUnit {
  [CmdletBinding()] param($VMMServer)
  Assert-StubServer $VMMServer
  New-StubRef $StubIds.lun1 'CSV-SQL' @{ StorageArray = (New-StubRef 'a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6e' 'FA-01'); TotalCapacity = [uint64]2TB }
  New-StubRef $StubIds.lun2 'CSV-APP' @{ StorageArray = (New-StubRef 'a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6e' 'FA-01'); TotalCapacity = [uint64]1TB }
}

function Get-SCReplicationGroup {
  [CmdletBinding()] param($VMMServer)
  Assert-StubServer $VMMServer
  $g = (Get-StubState).group
  New-StubRef $StubIds.rg 'RG-Tier1' @{ ReplicationState = $g.state; ReplicationHealth = $g.health; IsPrimary = $g.isPrimary; StorageLogicalUnits = @(Get-SCStorageLogicalUnit -VMMServer $VMMServer) }
}

# -JobVariable sets a variable in the CALLER's scope, as VMM's cmdlets do.
function Set-StubJobVariable($cmdlet, [string]$name, [string]$status, [string]$problem = '') {
  $jobId = New-StubGuid
  Update-StubState { param($s) $s.jobs[$jobId] = @{ status = $status; problem = $problem } } | Out-Null
  if ($name) { $cmdlet.SessionState.PSVariable.Set($name, [pscustomobject]@{ ID = [guid]$jobId; Status = [TaskStatus]::Running; ErrorInfo = $null }) }
}

function Get-SCJob {
  [CmdletBinding()] param($VMMServer, [guid]$ID)
  Assert-StubServer $VMMServer
  $j = (Get-StubState).jobs[$ID.ToString().ToUpperInvariant()]
  [pscustomobject]@{ ID = $ID; Status = [TaskStatus]$j.status; ErrorInfo = [pscustomobject]@{ Problem = $j.problem } }
}

function ConvertTo-StubCheckpoint([string]$cpId, $c) {
  New-StubRef $cpId $c.name @{ Description = $c.description; AddedTime = [datetime]$c.added; VM = (ConvertTo-StubVm (Get-StubState).vms[$c.vmmId]) }
}

function New-SCVMCheckpoint {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [string]$Name, [string]$Description, [switch]$RunAsynchronously, [string]$JobVariable)
  $cpId = [guid]::NewGuid().ToString()
  $vmKey = $VM.ID.ToString()
  Update-StubState { param($s) $s.checkpoints[$cpId] = @{ vmmId = $vmKey; name = $Name; description = $Description; added = (Get-Date).ToUniversalTime().ToString('o') } } | Out-Null
  Set-StubJobVariable $PSCmdlet $JobVariable 'Completed'
  ConvertTo-StubCheckpoint $cpId (Get-StubState).checkpoints[$cpId]
}

function Get-SCVMCheckpoint {
  [CmdletBinding()] param($VMMServer, $VM)
  foreach ($e in (Get-StubState).checkpoints.GetEnumerator()) { if (-not $VM -or $e.Value.vmmId -eq $VM.ID.ToString()) { ConvertTo-StubCheckpoint $e.Key $e.Value } }
}

function Remove-SCVMCheckpoint {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VMCheckpoint, [switch]$RunAsynchronously, [string]$JobVariable)
  $cpId = $VMCheckpoint.ID.ToString()
  Update-StubState { param($s) $s.checkpoints.Remove($cpId) } | Out-Null
  Set-StubJobVariable $PSCmdlet $JobVariable 'Completed'
}

# Which operation may follow which replication state, as VMM enforces it; a refused one
# fails its job, as VMM reports it.
$MOVES = @{ PrepareForFailover = @('Replicating', 'PreparedForFailover'); Failover = @('PreparedForFailover', 'FailedOver'); ReverseRoles = @('FailedOver', 'Replicating'); EnableProtection = @('Disabled', 'Replicating'); TearDown = @('Replicating', 'Disabled') }

function Set-SCReplicationGroup {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$ReplicationGroup, [Parameter(Mandatory)][ValidateSet('EnableProtection', 'PrepareForFailover', 'Failover', 'ReverseRoles', 'TearDown', 'TestFailover', 'CleanupTestFailover')][string]$Operation, [switch]$RunAsynchronously, [string]$JobVariable)
  $move = $MOVES[$Operation]
  $refused = Update-StubState {
    param($s)
    if ($s.group.state -ne $move[0]) { return "The replication group is in state $($s.group.state); $Operation is not possible. (Error ID: 36614)" }
    $s.group.state = $move[1]
    if ($Operation -eq 'ReverseRoles') { $s.group.isPrimary = -not $s.group.isPrimary }
  }
  if ($refused) { Set-StubJobVariable $PSCmdlet $JobVariable 'Failed' $refused } else { Set-StubJobVariable $PSCmdlet $JobVariable 'Completed' }
  Get-SCReplicationGroup -VMMServer ([pscustomobject]@{ IsConnected = $true })
}
