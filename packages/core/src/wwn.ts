/**
 * One spelling for a device's world-wide name, whoever reports it: lsblk prints
 * `0x624a9370…`, ESXi `naa.624A9370…`, arrays a bare serial we turn into an NAA id.
 * Returns undefined for anything that is not a plausible NAA/EUI id, so a junk value never
 * links two unrelated disks.
 */
export function normalizeWwn(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  const eui = /^eui\.([0-9a-f]{16}|[0-9a-f]{32})$/.exec(v);
  if (eui) return `eui.${eui[1]}`;
  const hex = /^(?:naa\.|0x)?([0-9a-f]{16}|[0-9a-f]{32})$/.exec(v);
  // NAA ids start with their format nibble: 2, 3 and 5 are 64-bit, 6 is the 128-bit form.
  if (!hex || !/^[2356]/.test(hex[1]!) || (hex[1]!.length === 32) !== hex[1]!.startsWith('6')) return undefined;
  return `naa.${hex[1]}`;
}
