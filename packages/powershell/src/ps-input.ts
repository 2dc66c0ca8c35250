/**
 * The JSON a script reads from stdin, in ASCII only: every non-ASCII character escaped as
 * `\uXXXX`. A Windows console decodes stdin with its OEM code page, which would mangle
 * UTF-8; ConvertFrom-Json decodes the escapes whatever the code page.
 */
export function psInput(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
