import { BlockChannel, type RemoteProcess, type SshRunner } from '@drkit/ssh';
import { loadCompiledType } from './compiled-type.js';
import { powershellCommandLine } from './encoded-command.js';
import { psInput } from './ps-input.js';

/**
 * The Windows half of a disk read: the block helper protocol of @drkit/ssh's BlockChannel
 * (ops 1 read, 2 hash, 4 write — opened for writing only when asked, each write's CRC-32
 * checked before it lands; answers 0 raw, 2 error, 3 all zero), served by a small C# class that
 * Add-Type compiles on the host — PowerShell itself is far too slow per byte, and Windows
 * PowerShell 5.1 has no CRC-32. The file or device to read arrives as the first line of
 * stdin (ASCII JSON, read byte by byte so no reader buffers the frames behind it); the
 * frames follow on the same stream. It must fit on cmd.exe's line: -EncodedCommand only,
 * because the stdin bootstrap's line reader would swallow frames.
 */
/** The helper's C# source: compiled once per host and user, then loaded from the cached DLL. */
const BLOCK_HELPER_CS = String.raw`using System;using System.IO;using System.Text;using System.Security.Cryptography;
public static class DrkitBlocks{
static uint[] T=new uint[256];
static DrkitBlocks(){for(uint i=0;i<256;i++){uint c=i;for(int k=0;k<8;k++)c=(c&1)!=0?0xEDB88320^(c>>1):c>>1;T[i]=c;}}
static uint Crc(byte[] b,int n){uint c=0xFFFFFFFF;for(int i=0;i<n;i++)c=T[(c^b[i])&255]^(c>>8);return ~c;}
static void Full(Stream s,byte[] b,int n){int o=0;while(o<n){int r=s.Read(b,o,n-o);if(r<=0)throw new EndOfStreamException();o+=r;}}
static uint U(byte[] b,int o){return (uint)(b[o]<<24|b[o+1]<<16|b[o+2]<<8|b[o+3]);}
static void P(byte[] b,int o,uint v){b[o]=(byte)(v>>24);b[o+1]=(byte)(v>>16);b[o+2]=(byte)(v>>8);b[o+3]=(byte)v;}
static bool Z(byte[] b,int o,int n){for(int i=o;i<o+n;i++)if(b[i]!=0)return false;return true;}
static void Send(Stream s,byte st,byte[] p,int n){var h=new byte[9];h[0]=st;P(h,1,(uint)n);P(h,5,n>0?Crc(p,n):0);s.Write(h,0,9);if(n>0)s.Write(p,0,n);s.Flush();}
static void Fail(Stream s,string m){var b=Encoding.UTF8.GetBytes(m);Send(s,2,b,b.Length);}
public static string Line(Stream s){var m=new MemoryStream();int c;while((c=s.ReadByte())>=0&&c!=10)m.WriteByte((byte)c);return Encoding.ASCII.GetString(m.ToArray());}
public static void Serve(Stream i,string path,bool w){
var o=Console.OpenStandardOutput();var sha=SHA256.Create();var h=new byte[17];var buf=new byte[0];
using(var f=new FileStream(path,FileMode.Open,w?FileAccess.ReadWrite:FileAccess.Read,FileShare.ReadWrite)){
while(true){try{Full(i,h,17);}catch(EndOfStreamException){if(w)f.Flush(true);return;}
long off=(long)U(h,1)<<32|U(h,5);int len=(int)U(h,9),bs=(int)U(h,13);
if(buf.Length<len)buf=new byte[len];
if(h[0]==4){Full(i,buf,len);if(!w||Crc(buf,len)!=(uint)bs){Fail(o,"bad write at "+off);continue;}f.Position=off;f.Write(buf,0,len);Send(o,0,buf,0);continue;}
f.Position=off;int got=0,r;while(got<len&&(r=f.Read(buf,got,len-got))>0)got+=r;
if(got!=len){Fail(o,"short read: "+got+" of "+len+" bytes at "+off);continue;}
if(h[0]==1){if(Z(buf,0,len))Send(o,3,buf,0);else Send(o,0,buf,len);}
else if(h[0]==2&&bs>0){int n=(len+bs-1)/bs;var d=new byte[n*32];for(int k=0;k<n;k++){int l=Math.Min(bs,len-k*bs);if(!Z(buf,k*bs,l))Buffer.BlockCopy(sha.ComputeHash(buf,k*bs,l),0,d,k*32,32);}Send(o,0,d,d.Length);}
else Fail(o,"unknown op");}}}}`;

/** The helper: its class loaded (compiled once per host, see loadCompiledType), then serving stdin. */
export const POWERSHELL_BLOCK_HELPER = String.raw`$ProgressPreference='SilentlyContinue';$ErrorActionPreference='Stop'
${loadCompiledType('DrkitBlocks', 'blocks', BLOCK_HELPER_CS)}
$i=[Console]::OpenStandardInput()
$in=[DrkitBlocks]::Line($i)|ConvertFrom-Json
[DrkitBlocks]::Serve($i,[string]$in.path,[bool]$in.write)`;

/**
 * Starts the block helper on a Windows host over SSH, reading `path` (a file or a device
 * path) — and writing it, with `write` (a failback into an offline disk).
 */
export async function openPowerShellBlockReader(
  ssh: SshRunner,
  path: string,
  options: { exe?: string; label?: string; write?: boolean } = {},
): Promise<{ proc: RemoteProcess; channel: BlockChannel }> {
  const proc = await ssh.open({
    raw: powershellCommandLine(POWERSHELL_BLOCK_HELPER, options.exe),
    name: 'powershell block helper',
  });
  proc.stdin.write(`${psInput({ path, write: options.write === true })}\n`);
  return { proc, channel: new BlockChannel(proc, options.label ?? `${ssh.where} ${path}`) };
}
