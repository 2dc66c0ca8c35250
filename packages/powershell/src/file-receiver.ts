import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { DrkitError, isZero } from '@drkit/core';
import type { RemoteProcess, SshRunner } from '@drkit/ssh';
import { powershellCommandLine } from './encoded-command.js';
import { psInput } from './ps-input.js';

/**
 * The Windows half of a file upload over SSH: PowerShell itself (no compiled helper: it only
 * copies) reads the target from the first line of stdin (ASCII JSON, byte by byte), then
 * frames — 8-byte offset and 4-byte length, little-endian as every Windows host is, then the
 * bytes — written where they say into a file it creates (never one that exists), until a
 * frame of length 0. The file is then sized and flushed to disk, and the host answers with
 * the bytes it took and their SHA-256, which the sender compares with its own.
 */
export const POWERSHELL_FILE_RECEIVER = String.raw`$ProgressPreference='SilentlyContinue';$ErrorActionPreference='Stop'
$i=[Console]::OpenStandardInput()
$m=New-Object IO.MemoryStream
while(($c=$i.ReadByte()) -ge 0 -and $c -ne 10){$m.WriteByte([byte]$c)}
$in=[Text.Encoding]::ASCII.GetString($m.ToArray())|ConvertFrom-Json
function Say($o){[Console]::Out.WriteLine(($o|ConvertTo-Json -Compress))}
try{$path=Join-Path ([string]$in.dir) ([string]$in.file)
if(Test-Path -LiteralPath $path){Say @{error="$path already exists";code='conflict'};exit 0}
$null=New-Item -ItemType Directory -Force -Path ([string]$in.dir)
function Fill($b,$n){$o=0;while($o -lt $n){$r=$i.Read($b,$o,$n-$o);if($r -le 0){throw [IO.EndOfStreamException]::new('the upload ended before its last frame')};$o+=$r}}
$f=New-Object IO.FileStream($path,[IO.FileMode]::CreateNew,[IO.FileAccess]::Write,[IO.FileShare]::None)
$sha=[Security.Cryptography.SHA256]::Create();$h=New-Object byte[] 12;$buf=New-Object byte[] 0;$total=[long]0
try{while($true){Fill $h 12
$off=[BitConverter]::ToInt64($h,0);$len=[BitConverter]::ToInt32($h,8)
if($len -eq 0){break}
if($buf.Length -lt $len){$buf=New-Object byte[] $len}
Fill $buf $len
$f.Position=$off;$f.Write($buf,0,$len);$null=$sha.TransformBlock($buf,0,$len,$null,0);$total+=$len}
$f.SetLength([long]$in.length);$f.Flush($true)}finally{$f.Dispose()}
$null=$sha.TransformFinalBlock((New-Object byte[] 0),0,0)
Say @{bytes=$total;sha256=[BitConverter]::ToString($sha.Hash).Replace('-','').ToLowerInvariant()}
}catch{Say @{error=[string]$_.Exception.Message;code='platform'}}`;

/** Pieces of this size that are all zeros are never sent: the file reads zeros there anyway. */
const PIECE_BYTES = 1 << 20;

export interface FileUpload {
  /** The host folder (created if missing) and the new file's name in it. */
  dir: string;
  file: string;
  /** The file's final length. */
  length: number;
  /** The bytes from offset 0, in order; may end short of `length` (the rest reads as zeros). */
  chunks: AsyncIterable<Uint8Array>;
  /** Bytes written after the chunks, at their end (a fixed VHD's footer). */
  trailer?: Uint8Array;
  signal?: AbortSignal;
  exe?: string;
}

/** Sends a file to a Windows host over SSH, skipping zero pieces; returns the bytes that crossed. */
export async function uploadFileOverSsh(ssh: SshRunner, upload: FileUpload): Promise<{ bytesSent: number }> {
  const proc = await ssh.open({
    raw: powershellCommandLine(POWERSHELL_FILE_RECEIVER, upload.exe),
    name: 'powershell file receiver',
  });
  const stop = () => proc.kill();
  upload.signal?.addEventListener('abort', stop, { once: true });
  const answer = collect(proc);
  answer.catch(() => {});
  const digest = createHash('sha256');
  let sent = 0;
  try {
    let offset = 0;
    await write(proc, Buffer.from(`${psInput({ dir: upload.dir, file: upload.file, length: upload.length })}\n`));
    const frame = async (at: number, data: Uint8Array) => {
      const header = Buffer.alloc(12);
      header.writeBigInt64LE(BigInt(at), 0);
      header.writeInt32LE(data.length, 8);
      digest.update(data);
      sent += data.length;
      await write(proc, header);
      await write(proc, data);
    };
    for await (const chunk of upload.chunks) {
      for (let o = 0; o < chunk.length; o += PIECE_BYTES) {
        const piece = chunk.subarray(o, Math.min(chunk.length, o + PIECE_BYTES));
        if (!isZero(piece)) await frame(offset + o, piece);
      }
      offset += chunk.length;
    }
    if (upload.trailer) await frame(offset, upload.trailer);
    await write(proc, Buffer.alloc(12));
    proc.stdin.end();
  } catch (error) {
    // A host that refused (the file exists) stopped reading: its answer says why, not the broken pipe.
    const said = await Promise.race([answer, new Promise<string>((r) => setTimeout(() => r(''), 2000).unref())]);
    proc.kill();
    await proc.done.catch(() => {});
    if (said) parseAnswer(said, upload.file);
    throw error;
  } finally {
    upload.signal?.removeEventListener('abort', stop);
  }
  const [out] = await Promise.all([answer, proc.done]);
  const result = parseAnswer(out, upload.file);
  const expected = digest.digest('hex');
  if (result.bytes !== sent || result.sha256 !== expected)
    throw new DrkitError(
      'protocol',
      `${upload.file}: the host wrote ${result.bytes} bytes (SHA-256 ${result.sha256}), drkit sent ${sent} (${expected})`,
    );
  return { bytesSent: sent };
}

/** Writes with backpressure; a host that stops reading (it failed) ends the wait with its error. */
async function write(proc: RemoteProcess, data: Uint8Array): Promise<void> {
  if (proc.stdin.write(data)) return;
  await Promise.race([
    once(proc.stdin, 'drain'),
    proc.done.then(() => {
      throw new DrkitError('protocol', 'the file receiver stopped reading before the upload ended');
    }),
  ]);
}

async function collect(proc: RemoteProcess): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of proc.stdout) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
}

function parseAnswer(text: string, file: string): { bytes: number; sha256: string } {
  let doc: { bytes?: unknown; sha256?: unknown; error?: unknown; code?: unknown } = {};
  try {
    doc = JSON.parse(text.trim().split('\n').pop() ?? '');
  } catch {}
  if (typeof doc.error === 'string')
    throw new DrkitError(doc.code === 'conflict' ? 'conflict' : 'platform', `${file}: ${doc.error}`);
  if (typeof doc.bytes === 'number' && typeof doc.sha256 === 'string') return { bytes: doc.bytes, sha256: doc.sha256 };
  throw new DrkitError('protocol', `the file receiver answered ${JSON.stringify(text.slice(0, 200))}`);
}
