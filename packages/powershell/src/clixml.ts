import { SaxesParser } from 'saxes';
import { DrkitError } from '@drkit/core';

/** What PowerShell wrote to stderr as CLIXML (`#< CLIXML`), by stream. */
export interface ClixmlStreams {
  errors: string[];
  warnings: string[];
  /** Verbose, debug, information and progress records. */
  other: string[];
  /** The stream ended inside a document (a process killed mid-write, a dropped channel): what came before is kept. */
  truncated?: boolean;
}

/**
 * Over SSH without a tty, PowerShell serializes its error and other streams to stderr as
 * CLIXML: `#< CLIXML` then `<Objs>` with `<S S="Error">` strings, control characters
 * escaped as `_xHHHH_`. Plain text (no header) is returned as one error. A DOCTYPE is refused.
 */
export function parseClixml(stderr: string): ClixmlStreams {
  const out: ClixmlStreams = { errors: [], warnings: [], other: [] };
  const start = stderr.indexOf('#< CLIXML');
  if (start < 0) {
    if (stderr.trim()) out.errors.push(stderr.trim());
    return out;
  }
  const before = stderr.slice(0, start).trim();
  if (before) out.errors.push(before);
  const body = stderr.slice(start + '#< CLIXML'.length);
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new DrkitError('protocol', 'CLIXML with a DOCTYPE or entity refused');
  // Several <Objs> documents may follow one another; each is parsed on its own.
  for (const doc of body.split(/(?=<Objs[\s>])/)) {
    if (doc.trim().startsWith('<Objs') && !readObjs(doc.trim(), out)) out.truncated = true;
  }
  // PowerShell splits one error across several records, each with its own line break.
  out.errors = joinLines(out.errors);
  out.warnings = joinLines(out.warnings);
  if (out.truncated) out.errors.push('(the error stream was cut short; the above is what arrived)');
  return out;
}

/** Reads one <Objs> document into `out`; false when it breaks off (the record being read is kept as far as it came). */
function readObjs(doc: string, out: ClixmlStreams): boolean {
  const parser = new SaxesParser({ xmlns: false });
  let stream: string | undefined;
  let text = '';
  parser.on('opentag', (tag) => {
    if (tag.name === 'S') {
      stream = String(tag.attributes.S ?? '');
      text = '';
    }
  });
  parser.on('text', (t) => {
    if (stream !== undefined) text += t;
  });
  parser.on('closetag', (tag) => {
    if (tag.name !== 'S' || stream === undefined) return;
    const value = unescapeClixml(text);
    if (stream === 'Error') out.errors.push(value);
    else if (stream === 'Warning') out.warnings.push(value);
    else out.other.push(value);
    stream = undefined;
  });
  const keep = () => {
    if (stream === 'Error' && text) out.errors.push(unescapeClixml(text));
    else if (stream === 'Warning' && text) out.warnings.push(unescapeClixml(text));
  };
  try {
    parser.write(doc).close();
    return true;
  } catch {
    // saxes reports a cut-off document ("unclosed tag: Objs") as an error: keep what was read.
    keep();
    return false;
  }
}

// PowerShell 7 colours its error records (ESC[31;1m…) even when they go to CLIXML; a
// message is text, so the escape sequences are dropped.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

function unescapeClixml(s: string): string {
  return s
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(ANSI, '');
}

function joinLines(parts: string[]): string[] {
  return parts
    .join('')
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0);
}
