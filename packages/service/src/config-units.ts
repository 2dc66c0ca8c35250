/** Durations and rates as people write them in a config: `90s`, `5m`, `1h30m`, `100MiB`. */

const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const BYTE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** `5m` → 300000; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.test(text) ? text.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d)/g) : null;
  if (!parts) return undefined;
  let total = 0;
  for (const part of parts) {
    const [, value, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(part)!;
    total += Number(value) * TIME_UNITS[unit!]!;
  }
  return Math.round(total);
}

/** `100MiB` → 104857600 (a rate in the config is bytes per second); undefined when not a size. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * BYTE_UNITS[m[2] ?? '']!);
}

/** A daily window `22:00-04:00` (service-local time; may wrap midnight) as minutes of the day. */
export interface DailyWindow {
  startMinute: number;
  endMinute: number;
  text: string;
}

export function parseWindow(text: string): DailyWindow | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) return undefined;
  const startMinute = Number(m[1]) * 60 + Number(m[2]);
  const endMinute = Number(m[3]) * 60 + Number(m[4]);
  return startMinute === endMinute ? undefined : { startMinute, endMinute, text };
}

/** When `at` is inside the window, `at`; otherwise the window's next start (epoch ms, local time). */
export function nextInWindow(window: DailyWindow, at: number): number {
  const d = new Date(at);
  const minute = d.getHours() * 60 + d.getMinutes();
  const inside =
    window.startMinute < window.endMinute
      ? minute >= window.startMinute && minute < window.endMinute
      : minute >= window.startMinute || minute < window.endMinute;
  if (inside) return at;
  const start = new Date(at);
  start.setHours(Math.floor(window.startMinute / 60), window.startMinute % 60, 0, 0);
  if (start.getTime() <= at) start.setDate(start.getDate() + 1);
  return start.getTime();
}
