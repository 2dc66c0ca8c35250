/** One structured log line per event: JSON on stderr, for journald or a log shipper. */
export type ServiceLog = (level: 'info' | 'warn' | 'error', event: string, fields?: Record<string, unknown>) => void;

export function jsonLog(write: (line: string) => void): ServiceLog {
  return (level, event, fields = {}) =>
    write(JSON.stringify({ at: new Date().toISOString(), level, event, ...fields }));
}
