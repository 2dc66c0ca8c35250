import { loadCompiledType } from '@drkit/powershell';

/**
 * What a shadow copy's device says about itself, in C# that Add-Type compiles once per
 * host (a loop over a volume bitmap is far too slow in PowerShell):
 * its length (IOCTL_DISK_GET_LENGTH_INFO) and the clusters its file system uses
 * (FSCTL_GET_VOLUME_BITMAP, read 32 MiB of bitmap at a time, as runs of clusters).
 *
 * The one system call sits alone in `DrkitVolumeIo.Control`, so everything else — the
 * bitmap's layout, ERROR_MORE_DATA, the run building — is the code a stub host runs too:
 * only `Control` is stood in for where there is no Windows kernel.
 */
export const VOLUME_IO_CS = String.raw`using System;using System.ComponentModel;using System.Runtime.InteropServices;using Microsoft.Win32.SafeHandles;
public static class DrkitVolumeIo{
[DllImport("kernel32.dll",SetLastError=true,CharSet=CharSet.Unicode)]static extern SafeFileHandle CreateFileW(string n,uint a,uint s,IntPtr sa,uint c,uint f,IntPtr t);
[DllImport("kernel32.dll",SetLastError=true)]static extern bool DeviceIoControl(SafeFileHandle h,uint code,byte[] i,int il,byte[] o,int ol,out int r,IntPtr ov);
// One DeviceIoControl on a read-only handle of its own: the Win32 error (0 on success).
public static int Control(string path,uint code,byte[] input,byte[] output,out int returned){
using(var h=CreateFileW(path,0x80000000,3,IntPtr.Zero,3,0,IntPtr.Zero)){
if(h.IsInvalid)throw new Win32Exception(Marshal.GetLastWin32Error(),"cannot open "+path);
return DeviceIoControl(h,code,input,input==null?0:input.Length,output,output.Length,out returned,IntPtr.Zero)?0:Marshal.GetLastWin32Error();}}}`;

export const VOLUME_CS = String.raw`using System;using System.Collections.Generic;using System.ComponentModel;
public static class DrkitVolume{
public delegate int Ioctl(string path,uint code,byte[] input,byte[] output,out int returned);
// DrkitVolumeIo.Control, bound at load: two Add-Type assemblies cannot name each other's types.
public static Ioctl Control;
const uint LengthInfo=0x7405C,VolumeBitmap=0x9006F;const int MoreData=234;
public static long Length(string path){var o=new byte[8];int r;int e=Control(path,LengthInfo,null,o,out r);
if(e!=0)throw new Win32Exception(e);if(r<8)throw new InvalidOperationException("no length from "+path);return BitConverter.ToInt64(o,0);}
// VOLUME_BITMAP_BUFFER: StartingLcn, BitmapSize (clusters from there to the end), then one bit
// per cluster, least significant first. ERROR_MORE_DATA: the buffer is full, ask again further on.
public static long[] Runs(string path,out long clusters){return Runs(path,32<<20,out clusters);}
public static long[] Runs(string path,int bitmapBytes,out long clusters){
var runs=new List<long>();var o=new byte[16+bitmapBytes];long lcn=0,open=-1;
while(true){int r;int e=Control(path,VolumeBitmap,BitConverter.GetBytes(lcn),o,out r);
if(e!=0&&e!=MoreData)throw new Win32Exception(e);
if(BitConverter.ToInt64(o,0)!=lcn)throw new InvalidOperationException("bitmap from cluster "+BitConverter.ToInt64(o,0)+" when "+lcn+" was asked");
long left=BitConverter.ToInt64(o,8),bits=e==0?left:(long)(o.Length-16)*8;
if(bits>(long)(o.Length-16)*8||bits<=0&&e!=0)throw new InvalidOperationException("bitmap of "+left+" clusters does not fit its buffer");
for(long i=0;i<bits;){int b=o[16+(i>>3)];
if((i&7)==0&&bits-i>=8&&(b==255&&open>=0||b==0&&open<0)){i+=8;continue;}
bool used=(b>>(int)(i&7)&1)!=0;
if(used&&open<0)open=lcn+i;else if(!used&&open>=0){runs.Add(open);runs.Add(lcn+i-open);open=-1;}
i++;}
lcn+=bits;if(e==0)break;}
if(open>=0){runs.Add(open);runs.Add(lcn-open);}
clusters=lcn;return runs.ToArray();}}`;

/**
 * Loads both classes into the session once (each compiled once per host, see
 * loadCompiledType); a stub host defines `DrkitVolumeIo` before this runs.
 */
export const LOAD_VOLUME_HELPER = `${loadCompiledType('DrkitVolumeIo', 'volume-io', VOLUME_IO_CS)}
${loadCompiledType('DrkitVolume', 'volume', VOLUME_CS)}
if (-not [DrkitVolume]::Control) { [DrkitVolume]::Control = [Delegate]::CreateDelegate([DrkitVolume+Ioctl], [DrkitVolumeIo].GetMethod('Control')) }`;
