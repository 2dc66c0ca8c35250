import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHE = new URL('./.pwsh-r2r/', import.meta.url).pathname;

/**
 * PowerShell's own assemblies, ahead-of-time compiled. The pwsh that `dotnet tool install
 * --global PowerShell` brings ships them as IL only, so every start JIT-compiles the engine:
 * ~0.6 CPU-s for `pwsh -Command 1`, ~1.1 with a stub host loaded, against 0.2 and 0.5 once
 * compiled — and the stub hosts start ~160 of them per test run on two cores. Windows' own
 * powershell.exe is precompiled the same way (NGEN), so nothing a test checks changes.
 */
const ASSEMBLIES = [
  'System.Management.Automation',
  'Microsoft.PowerShell.Commands.Utility',
  'Microsoft.PowerShell.Commands.Management',
  'Microsoft.PowerShell.ConsoleHost',
  'Microsoft.PowerShell.Security',
  'Newtonsoft.Json',
  'pwsh',
];

/**
 * A `pwsh` launcher for the global tool's PowerShell with its engine compiled ReadyToRun by
 * the SDK's crossgen2 (cached by versions). Undefined where there is no such tool or no SDK to
 * compile with: the tests then use the tool as it is, only slower.
 */
export async function buildPwshReadyToRun(): Promise<string | undefined> {
  const tool = await globalToolDir();
  const dotnet = await which('dotnet');
  if (!tool || !dotnet) return undefined;
  const config = JSON.parse(await readFile(join(tool.dir, 'pwsh.runtimeconfig.json'), 'utf8'));
  const major = String(config.runtimeOptions?.framework?.version ?? config.runtimeOptions?.tfm ?? '').match(/\d+/)?.[0];
  const runtime = await newestRuntime(dotnet, major);
  if (!runtime) return undefined;
  const dir = join(CACHE, `${tool.version}-${runtime.version}`);
  const launcher = join(dir, 'pwsh');
  if (existsSync(launcher)) return launcher;

  const crossgen = await restoreCrossgen(dotnet, major!);
  if (!crossgen) return undefined;
  const building = `${dir}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(CACHE, { recursive: true });
  await cp(tool.dir, building, { recursive: true });
  for (const name of ASSEMBLIES) {
    await run(
      crossgen,
      [
        join(tool.dir, `${name}.dll`),
        '-o',
        join(building, `${name}.dll`),
        '-r',
        join(runtime.dir, '*.dll'),
        '-r',
        join(tool.dir, '*.dll'),
        '--targetos',
        'linux',
        '--targetarch',
        process.arch === 'arm64' ? 'arm64' : 'x64',
        '-O',
      ],
      { maxBuffer: 16 << 20 },
    );
  }
  await writeFile(join(building, 'pwsh'), `#!/bin/sh\nexec '${dotnet}' '${dir}/pwsh.dll' "$@"\n`);
  await chmod(join(building, 'pwsh'), 0o755);
  // Whole or not at all: a half-built copy is never found by the next run, and a run that
  // built the same copy meanwhile keeps its own.
  if (existsSync(launcher)) await rm(building, { recursive: true, force: true });
  else await rename(building, dir);
  return launcher;
}

/** The unix build inside the `PowerShell` global tool's store, and its version. */
async function globalToolDir(): Promise<{ dir: string; version: string } | undefined> {
  const store = join(homedir(), '.dotnet/tools/.store/powershell');
  if (!existsSync(store)) return undefined;
  const version = (await readdir(store))
    .filter((v) => /^\d/.test(v))
    .sort(byVersion)
    .at(-1);
  if (!version) return undefined;
  const tools = join(store, version, 'powershell', version, 'tools');
  for (const tfm of await readdir(tools)) {
    const dir = join(tools, tfm, 'any', 'unix');
    if (existsSync(join(dir, 'pwsh.dll'))) return { dir, version };
  }
  return undefined;
}

async function newestRuntime(dotnet: string, major: string | undefined) {
  if (!major) return undefined;
  const { stdout } = await run(dotnet, ['--list-runtimes']);
  const found = [...stdout.matchAll(/^Microsoft\.NETCore\.App (\d+\.\d+\.\d+) \[(.+)\]$/gm)]
    .map((m) => ({ version: m[1]!, dir: join(m[2]!, m[1]!) }))
    .filter((r) => r.version.split('.')[0] === major)
    .sort((a, b) => byVersion(a.version, b.version));
  return found.at(-1);
}

/** crossgen2 comes as a NuGet package the SDK picks for a ReadyToRun publish: a throwaway project restores it. */
async function restoreCrossgen(dotnet: string, major: string): Promise<string | undefined> {
  const rid = `linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;
  const project = await mkdtemp(join(tmpdir(), 'drkit-crossgen-'));
  try {
    await writeFile(
      join(project, 'restore.csproj'),
      `<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net${major}.0</TargetFramework><RuntimeIdentifier>${rid}</RuntimeIdentifier><PublishReadyToRun>true</PublishReadyToRun><SelfContained>false</SelfContained></PropertyGroup></Project>`,
    );
    await run(dotnet, ['restore'], {
      cwd: project,
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
      maxBuffer: 16 << 20,
    });
  } catch {
    return undefined;
  } finally {
    await rm(project, { recursive: true, force: true });
  }
  const packages = join(
    process.env.NUGET_PACKAGES ?? join(homedir(), '.nuget/packages'),
    `microsoft.netcore.app.crossgen2.${rid}`,
  );
  if (!existsSync(packages)) return undefined;
  const version = (await readdir(packages))
    .filter((v) => v.split('.')[0] === major)
    .sort(byVersion)
    .at(-1);
  const exe = version && join(packages, version, 'tools', 'crossgen2');
  return exe && existsSync(exe) ? exe : undefined;
}

async function which(command: string): Promise<string | undefined> {
  try {
    return (await run('sh', ['-c', `command -v ${command}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

function byVersion(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
