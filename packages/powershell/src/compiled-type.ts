import { createHash } from 'node:crypto';

/**
 * PowerShell that makes a C# type available, compiled once per host and user. Compiling
 * takes ~1.6 s of CPU per process (Roslyn or csc), loading a compiled DLL ~0.1 s: the first
 * use on a host compiles into the user's own LocalApplicationData (never a shared temp folder
 * another account could plant a DLL in), under a name of its own, then moves it into place;
 * every later one loads it. The file is named by the source's digest: a new drkit never loads
 * an old build. Kept terse: the block helper must fit on cmd.exe's line.
 */
export function loadCompiledType(typeName: string, fileStem: string, source: string): string {
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  return String.raw`if(-not ('${typeName}' -as [type])){
$d=Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'drkit'
$dll=Join-Path $d '${fileStem}-${digest}.dll'
if(-not (Test-Path -LiteralPath $dll)){
$null=New-Item -ItemType Directory -Force -Path $d
$t=Join-Path $d "${fileStem}-${digest}-$PID.dll"
Add-Type -OutputType Library -OutputAssembly $t -TypeDefinition @'
${source}
'@
try{Move-Item -LiteralPath $t -Destination $dll -ErrorAction Stop}catch{$dll=$t}}
Add-Type -Path $dll}`;
}
