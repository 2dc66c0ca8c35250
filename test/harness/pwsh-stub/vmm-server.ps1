# MOCK of a System Center VMM 2022 server for drkit's scripts in REAL pwsh: the scripts'
# `Import-Module virtualmachinemanager` finds the stub module below, as it finds VMM's
# console module on a real server. See modules/virtualmachinemanager/virtualmachinemanager.psm1.
$env:PSModulePath = "$PSScriptRoot/modules$([IO.Path]::PathSeparator)$env:PSModulePath"
# The Hyper-V module is on a VMM server too (the managed hosts are reached with -ComputerName):
# the stub host of the VM's side of the pair, with its own state beside the server's.
$StubStatePath = "$env:DRKIT_STUB_STATE.hyperv"
. "$PSScriptRoot/hyperv-host.ps1"
Remove-Variable StubStatePath
$env:COMPUTERNAME = 'VMM01'
