import type { PsOperation } from '@drkit/powershell';

/**
 * Hyper-V Replica's fixed scripts, for Windows PowerShell 5.1 with the Hyper-V module: run on
 * the Hyper-V host itself, or on a machine that manages it (a VMM server) with the host named
 * in `$in.computerName` — then the cmdlets that find VMs get `-ComputerName` (and
 * `-Credential`, built here from stdin JSON when one is given), values from stdin, never
 * script text; the VM objects they return carry the host to the action cmdlets. Results are projected here, enums by name, dates ISO 8601.
 */
const TARGET = String.raw`
$target = @{}
if ($in -and $in.computerName) { $target.ComputerName = [string]$in.computerName }
if ($in -and $in.credential) { $target.Credential = [pscredential]::new([string]$in.credential.username, (ConvertTo-SecureString -String ([string]$in.credential.password) -AsPlainText -Force)) }
function Get-DrkitTime($value) { if ($value) { ([datetime]$value).ToUniversalTime().ToString('o') } else { $null } }
`;

export const HYPERV_REPLICA_STATE: PsOperation = {
  name: 'hyperv.replica.state',
  body: String.raw`
${TARGET}
@(Get-VMReplication @target | ForEach-Object {
  @{
    vmId = $_.VMId.ToString(); vmName = [string]$_.VMName; mode = $_.Mode.ToString(); state = $_.State.ToString(); health = $_.Health.ToString()
    primaryServer = [string]$_.PrimaryServer; replicaServer = [string]$_.ReplicaServer; frequencySec = [int]$_.FrequencySec
    lastReplication = (Get-DrkitTime $_.LastReplicationTime)
  }
})
`,
};

/** Replica actions, each on one VM found by its id; the action's name is checked against a fixed list. */
export const HYPERV_REPLICA_ACTION: PsOperation = {
  name: 'hyperv.replica.action',
  body: String.raw`
${TARGET}
$vm = Get-VM -Id ([guid]::Parse([string]$in.vmId)) @target
switch ([string]$in.action) {
  'enable' {
    $auth = if ([string]$in.authentication -eq 'Certificate') { @{ AuthenticationType = 'Certificate'; CertificateThumbprint = [string]$in.certificateThumbprint } } else { @{ AuthenticationType = 'Kerberos' } }
    Enable-VMReplication -VM $vm -ReplicaServerName ([string]$in.replicaServer) -ReplicaServerPort ([int]$in.port) -ReplicationFrequencySec ([int]$in.frequencySec) @auth
  }
  'start-network' { Start-VMInitialReplication -VM $vm }
  'start-export' { Start-VMInitialReplication -VM $vm -DestinationPath ([string]$in.path) }
  'start-seeded' { Start-VMInitialReplication -VM $vm -UseBackup }
  'resync' { Resume-VMReplication -VM $vm -Resynchronize }
  'resume' { Resume-VMReplication -VM $vm }
  'prepare-failover' { Stop-VM -VM $vm -Force; Start-VMFailover -VM $vm -Prepare -Confirm:$false }
  'failover' { Start-VMFailover -VM $vm -Confirm:$false }
  'reverse' { Set-VMReplication -VM $vm -Reverse -Confirm:$false }
  'start-vm' { Start-VM -VM $vm }
  default { Write-Error -Category InvalidArgument -Message 'unknown replica action' -ErrorAction Stop }
}
`,
};

export const HYPERV_REPLICA_OPERATIONS: readonly PsOperation[] = [HYPERV_REPLICA_STATE, HYPERV_REPLICA_ACTION];
