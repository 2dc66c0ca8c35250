# MOCK of a System Center VMM 2022 server for drkit's scripts in REAL pwsh: the scripts'
# `Import-Module virtualmachinemanager` finds the stub module below, as it finds VMM's
# console module on a real server. See modules/virtualmachinemanager/virtualmachinemanager.psm1.
$env:PSModulePath = "$PSScriptRoot/modules$([IO.Path]::PathSeparator)$env:PSModulePath"
$env:COMPUTERNAME = 'VMM01'
