/**
 * A value from a host (a machine name, a disk label) as one printable line: control
 * characters shown escaped. A name with a newline once broke the tables and forged
 * progress lines; with an escape sequence it could drive the terminal.
 */
export function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    JSON.stringify(c)
      .slice(1, -1)
      .replace(/^\\u00/, '\\x'),
  );
}
