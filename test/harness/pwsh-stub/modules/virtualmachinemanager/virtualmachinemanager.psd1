@{
  RootModule = 'virtualmachinemanager.psm1'
  ModuleVersion = '10.22.1287.0'
  GUID = '0bd1c2e4-5c5a-4a53-9b1c-6f5e8d7c9a10'
  Description = 'MOCK of the System Center VMM 2022 cmdlets, for drkit tests only'
  FunctionsToExport = @('Get-SCVMMServer', 'Get-SCVMHostGroup', 'Get-SCCloud', 'Get-SCVMHost', 'Get-SCVMNetwork', 'Get-SCVirtualMachine', 'Get-SCStorageLogicalUnit', 'Get-SCReplicationGroup', 'Set-SCReplicationGroup', 'New-SCVMCheckpoint', 'Get-SCVMCheckpoint', 'Remove-SCVMCheckpoint', 'Get-SCJob')
}
