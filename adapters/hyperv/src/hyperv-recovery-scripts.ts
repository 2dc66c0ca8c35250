import type { PsOperation } from '@drkit/powershell';

/**
 * The fixed scripts of a Hyper-V recovery, for Windows PowerShell 5.1. Values arrive in
 * `$in` only; names are compared with -eq (Get-VM -Name would read a `*` in one as a
 * wildcard). A machine drkit made carries its mark in the VM's Notes, first line
 * `drkit-recovery:<tag>`: the scripts that change or remove a VM check that line themselves.
 */
const OURS = String.raw`
function Get-DrkitRecovered([string]$vmId) {
  $vm = Get-VM -Id ([guid]::Parse($vmId))
  if (-not ([string]$vm.Notes).StartsWith('drkit-recovery:')) { Write-Error -Category InvalidOperation -Message "$($vm.Name) was not made by a drkit recovery: left alone" -ErrorAction Stop }
  $vm
}
`;

/** What the host offers a recovery: switches, default folders, processors, the VM names taken. */
export const HYPERV_RECOVERY_TARGET: PsOperation = {
  name: 'hyperv.recovery.target',
  body: String.raw`
$h = Get-VMHost
@{
  switches = @(Get-VMSwitch | ForEach-Object { [string]$_.Name })
  virtualMachinePath = [string]$h.VirtualMachinePath
  logicalProcessors = [int]$h.LogicalProcessorCount
  names = @(Get-VM | ForEach-Object { [string]$_.Name })
}
`,
};

/**
 * The VM first, marked as building and with no disk or NIC yet: whatever a crash leaves from
 * here on is a marked VM whose own new folder holds every uploaded file, so a cleanup takes
 * all of it. The folder must not exist before (it would not be all drkit's to remove).
 */
export const HYPERV_RECOVERY_CREATE: PsOperation = {
  name: 'hyperv.recovery.create',
  body: String.raw`
$root = if ($in.path) { [string]$in.path } else { [string](Get-VMHost).VirtualMachinePath }
$folder = Join-Path $root ([string]$in.name)
if (Test-Path -LiteralPath $folder) { Write-Error -Category ResourceExists -Message "$folder already exists on the host: a recovered machine gets a folder of its own" -ErrorAction Stop }
if (@(Get-VM | Where-Object { $_.Name -eq [string]$in.name }).Count -gt 0) { Write-Error -Category ResourceExists -Message "a VM named $([string]$in.name) already exists on the host" -ErrorAction Stop }
$vm = New-VM -Name ([string]$in.name) -Generation ([int16]$in.generation) -MemoryStartupBytes ([long]$in.memoryBytes) -NoVHD -Path $root
Set-VM -VM $vm -ProcessorCount ([long]$in.cpuCount) -Notes ([string]$in.notes)
# New-VM adds one unconnected adapter; the point's NICs replace it.
Get-VMNetworkAdapter -VM $vm | Remove-VMNetworkAdapter
@{ id = $vm.Id.ToString(); folder = [string]$vm.Path; disks = (Join-Path ([string]$vm.Path) 'Virtual Hard Disks') }
`,
};

/**
 * The uploaded fixed VHDs become the VM's disks: a generation 2 VM boots only from VHDX, so
 * each is converted (Convert-VHD, dynamic) and the VHD removed; a generation 1 VM takes the
 * VHD as it is, its first disk on IDE 0:0, where it boots from. Then the NICs on their
 * switches, the boot disk first in the firmware's order, power, and the mark says ready.
 */
export const HYPERV_RECOVERY_FINISH: PsOperation = {
  name: 'hyperv.recovery.finish',
  body: String.raw`
${OURS}
$vm = Get-DrkitRecovered ([string]$in.vmId)
$gen = [int]$vm.Generation
$i = 0
foreach ($d in @($in.disks)) {
  $path = Join-Path ([string]$in.dir) ([string]$d)
  if ($gen -eq 2) {
    $vhdx = [IO.Path]::ChangeExtension($path, '.vhdx')
    Convert-VHD -Path $path -DestinationPath $vhdx -VHDType Dynamic
    Remove-Item -LiteralPath $path
    $path = $vhdx
  }
  if ($gen -eq 1 -and $i -eq 0) { Add-VMHardDiskDrive -VM $vm -Path $path -ControllerType IDE -ControllerNumber 0 -ControllerLocation 0 }
  else {
    if (-not (Get-VMScsiController -VM $vm)) { Add-VMScsiController -VM $vm }
    Add-VMHardDiskDrive -VM $vm -Path $path -ControllerType SCSI -ControllerNumber 0 -ControllerLocation $(if ($gen -eq 1) { $i - 1 } else { $i })
  }
  $i++
}
foreach ($n in @($in.nics)) {
  if ($n.switch) { Add-VMNetworkAdapter -VM $vm -Name ([string]$n.name) -SwitchName ([string]$n.switch) }
  else { Add-VMNetworkAdapter -VM $vm -Name ([string]$n.name) }
}
if ($gen -eq 2) {
  $boot = Get-VMHardDiskDrive -VM $vm | Where-Object { $_.ControllerLocation -eq 0 } | Select-Object -First 1
  if ($in.secureBootTemplate) { Set-VMFirmware -VM $vm -FirstBootDevice $boot -SecureBootTemplate ([string]$in.secureBootTemplate) }
  else { Set-VMFirmware -VM $vm -FirstBootDevice $boot }
}
if ($in.powerOn) { Start-VM -VM $vm }
Set-VM -VM $vm -Notes ([string]$in.notes)
@{ state = (Get-VM -Id $vm.Id).State.ToString() }
`,
};

/** Every VM whose Notes start with the mark (the tag's exact line), with its Notes. */
export const HYPERV_RECOVERY_LIST: PsOperation = {
  name: 'hyperv.recovery.list',
  body: String.raw`
$mark = [string]$in.mark
@(Get-VM | Where-Object { ([string]$_.Notes -split "\r?\n")[0] -eq $mark } | ForEach-Object { @{ id = $_.Id.ToString(); name = [string]$_.Name; notes = [string]$_.Notes; state = $_.State.ToString() } })
`,
};

/** A recovered VM's Notes replaced (commit), after the script has checked it is drkit's. */
export const HYPERV_RECOVERY_MARK: PsOperation = {
  name: 'hyperv.recovery.mark',
  body: String.raw`
${OURS}
$vm = Get-DrkitRecovered ([string]$in.vmId)
Set-VM -VM $vm -Notes ([string]$in.notes)
`,
};

/** Notes of one VM, drkit's or not: what commit and remove decide on. */
export const HYPERV_RECOVERY_GET: PsOperation = {
  name: 'hyperv.recovery.get',
  body: String.raw`
$vm = Get-VM -Id ([guid]::Parse([string]$in.vmId))
@{ id = $vm.Id.ToString(); name = [string]$vm.Name; notes = [string]$vm.Notes; state = $vm.State.ToString() }
`,
};

/**
 * A recovered VM turned off and removed with its folder (New-VM made it for this VM alone,
 * uploads and converted disks included); anything not marked as drkit's is refused. A disk
 * someone attached from elsewhere later is detached with the VM, never deleted.
 */
export const HYPERV_RECOVERY_REMOVE: PsOperation = {
  name: 'hyperv.recovery.remove',
  body: String.raw`
${OURS}
$vm = Get-DrkitRecovered ([string]$in.vmId)
if ($vm.State.ToString() -ne 'Off') { Stop-VM -VM $vm -TurnOff -Force }
$folder = [string]$vm.Path
Remove-VM -VM $vm -Force
if ($folder -and (Test-Path -LiteralPath $folder)) { Remove-Item -LiteralPath $folder -Recurse -Force }
`,
};

/**
 * A failback's way into one of a VM's disks: the VM must be off (its disks are then nobody
 * else's), the drive's virtual hard disk is mounted read-write and the disk set offline, so
 * Windows lets raw writes through to sectors its volumes cover; the block helper writes the
 * device, and HYPERV_DISK_DETACH dismounts it.
 */
export const HYPERV_WRITEBACK_ATTACH: PsOperation = {
  name: 'hyperv.writeback.attach',
  body: String.raw`
$vm = Get-VM -Id ([guid]::Parse([string]$in.vmId))
if ($vm.State.ToString() -ne 'Off') { Write-Error -Category InvalidOperation -Message "$($vm.Name) is $($vm.State): a failback writes into its disks only while it is off" -ErrorAction Stop }
$drive = Get-VMHardDiskDrive -VM $vm | Where-Object { $_.ControllerType.ToString() -eq [string]$in.controller -and [int]$_.ControllerNumber -eq [int]$in.controllerNumber -and [int]$_.ControllerLocation -eq [int]$in.location } | Select-Object -First 1
if (-not $drive -or $null -ne $drive.DiskNumber) { Write-Error -Category ObjectNotFound -Message "$($vm.Name) has no virtual hard disk at $([string]$in.controller) $([int]$in.controllerNumber):$([int]$in.location)" -ErrorAction Stop }
$vhd = Mount-VHD -Path $drive.Path -NoDriveLetter -Passthru
try {
  Set-Disk -Number $vhd.DiskNumber -IsOffline $true
  $disk = Get-Disk -Number $vhd.DiskNumber
} catch { Dismount-VHD -Path $drive.Path; throw }
@{ device = [string]$disk.Path; sizeBytes = [long]$vhd.Size; vhdPath = [string]$drive.Path }
`,
};

/**
 * A planned failover's shutdown: the guest asked through its Shutdown integration service
 * (Stop-VM as a job, so the wait is ours), the VM's state polled until Off or the deadline,
 * then turned off. Says which it took.
 */
export const HYPERV_VM_SHUTDOWN: PsOperation = {
  name: 'hyperv.vm.shutdown',
  body: String.raw`
$vm = Get-VM -Id ([guid]::Parse([string]$in.vmId))
if ($vm.State.ToString() -eq 'Off') { return @{ how = 'already-off' } }
$ic = @(Get-VMIntegrationService -VM $vm | Where-Object { $_.Name -eq 'Shutdown' -and $_.Enabled -and $_.PrimaryStatusDescription -eq 'OK' })
if ($ic.Count -gt 0) {
  $null = Stop-VM -VM $vm -Force -AsJob
  $deadline = [DateTime]::UtcNow.AddSeconds([double]$in.timeoutSeconds)
  while ([DateTime]::UtcNow -lt $deadline) {
    if ((Get-VM -Id $vm.Id).State.ToString() -eq 'Off') { return @{ how = 'guest' } }
    Start-Sleep -Milliseconds 500
  }
}
Stop-VM -VM (Get-VM -Id $vm.Id) -TurnOff -Force
@{ how = 'forced' }
`,
};

export const HYPERV_RECOVERY_OPERATIONS: readonly PsOperation[] = [
  HYPERV_RECOVERY_TARGET,
  HYPERV_RECOVERY_CREATE,
  HYPERV_RECOVERY_FINISH,
  HYPERV_RECOVERY_LIST,
  HYPERV_RECOVERY_MARK,
  HYPERV_RECOVERY_GET,
  HYPERV_RECOVERY_REMOVE,
  HYPERV_WRITEBACK_ATTACH,
  HYPERV_VM_SHUTDOWN,
];
