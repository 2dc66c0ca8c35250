/**
 * Redaction runs in memory, on each exchange, before anything is written. It replaces:
 * - values the caller names, in their raw, XML-escaped and URL-encoded forms;
 * - the text of named elements / JSON fields (passwords, user names, tokens);
 * - credentials in headers (cookies, authorization, API tokens) — and it LEARNS those
 *   values, so the same session key later echoed in a body is caught too;
 * - certificate thumbprints;
 * - host names the caller names and every IP address, consistently (the same address
 *   always maps to the same documentation address, RFC 5737 / RFC 3849), so a replay
 *   still links objects together.
 */
export interface RedactorOptions {
  /** Exact values to hide wherever they appear. */
  secrets?: string[];
  /** Host names to replace consistently (e.g. the endpoint's). */
  hosts?: string[];
  /** XML element or JSON field names whose text is always replaced. */
  fields?: string[];
  /** Header names (lower-case) whose values are credentials. */
  credentialHeaders?: string[];
}

// Not `token`: vim25 paging tokens are single-use and session-bound, and a fixture must show them.
export const DEFAULT_FIELDS = [
  'password',
  'passwd',
  'userName',
  'username',
  'api_token',
  'api-token',
  'sessionToken',
  'secret',
];
export const DEFAULT_CREDENTIAL_HEADERS = [
  'cookie',
  'set-cookie',
  'authorization',
  'x-auth-token',
  'api-token',
  'x-api-key',
  'proxy-authorization',
];

const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g;
// Full and ::-compressed IPv6 with at least two groups around a colon; avoids matching times like 12:30.
const IPV6 =
  /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?(?![\w:])/g;
const THUMB_COLON = /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{2}:){19,63}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:])/g;
const THUMB_HEX = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])/g;
const DOC_V4 = ['192.0.2.', '198.51.100.', '203.0.113.'];
// Before IPv6: a MAC looks like six IPv6 groups. Mapped into RFC 7042's documentation block.
const MAC = /(?<![\w:])(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}(?![\w:])/g;
const MAC_SHAPE = /^(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;

export class Redactor {
  readonly rules: string[];
  #secrets = new Map<string, string>();
  /** Values learned from named fields (a user name): replaced only as whole words, so
   * a user called `root` does not shred `rootFolder`. */
  #words = new Map<string, string>();
  #hosts = new Map<string, string>();
  #v4 = new Map<string, string>();
  #v6 = new Map<string, string>();
  #thumbs = new Map<string, string>();
  #macs = new Map<string, string>();
  #fieldPatterns: RegExp[];
  #credentialHeaders: Set<string>;

  constructor(options: RedactorOptions = {}) {
    for (const secret of options.secrets ?? []) this.addSecret(secret);
    for (const host of options.hosts ?? []) this.#hostFor(host);
    const fields = [...new Set([...DEFAULT_FIELDS, ...(options.fields ?? [])])];
    this.#fieldPatterns = fields.flatMap((name) => {
      const n = name.replace(/[^\w-]/g, '');
      return [
        new RegExp(`(<(?:\\w+:)?${n}(?:\\s[^>]*)?>)([^<]*)(</(?:\\w+:)?${n}>)`, 'g'),
        new RegExp(`("${n}"\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)(")`, 'g'),
      ];
    });
    this.#credentialHeaders = new Set([...DEFAULT_CREDENTIAL_HEADERS, ...(options.credentialHeaders ?? [])]);
    this.rules = [
      'caller-secrets',
      `fields:${fields.join(',')}`,
      'credential-headers',
      'thumbprints',
      'hosts',
      'mac-addresses',
      'ip-addresses',
    ];
  }

  /** Hides `value` from now on. Short values are refused: they would shred unrelated text. */
  addSecret(value: string): void {
    if (value.length < 4 || isMark(value) || this.#secrets.has(value)) return;
    this.#secrets.set(value, `«secret-${this.#secrets.size + 1}»`);
  }

  headers(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      const lower = name.toLowerCase();
      if (this.#credentialHeaders.has(lower)) {
        out[lower] = Array.isArray(value)
          ? value.map((v) => this.#credential(lower, v))
          : this.#credential(lower, value);
      } else {
        out[lower] = Array.isArray(value) ? value.map((v) => this.text(v)) : this.text(value);
      }
    }
    return out;
  }

  /**
   * Redacts text that travels as bytes (a text stream's chunk), one character per byte
   * (latin1) so offsets into the stream still count bytes.
   */
  bytes(chunk: Buffer): Buffer {
    return Buffer.from(this.text(chunk.toString('latin1')), 'latin1');
  }

  /** Redacts free text (a body, a header value, a command line). */
  text(input: string): string {
    let out = input;
    for (const pattern of this.#fieldPatterns) {
      out = out.replace(pattern, (_m, open: string, value: string, close: string) => {
        if (value.length >= 3 && !isMark(value) && !this.#secrets.has(value) && !this.#words.has(value)) {
          this.#words.set(value, `«value-${this.#words.size + 1}»`);
        }
        return `${open}«redacted»${close}`;
      });
    }
    // Longest first, so a secret containing another is replaced whole.
    for (const [secret, mark] of [...this.#secrets].sort((a, b) => b[0].length - a[0].length)) {
      for (const form of forms(secret)) out = out.split(form).join(mark);
    }
    for (const [word, mark] of [...this.#words].sort((a, b) => b[0].length - a[0].length)) {
      out = out.replace(new RegExp(`(?<![\\w.-])${escapeRegExp(word)}(?![\\w.-])`, 'g'), mark);
    }
    // Whole names only: a host called `vm` must not shred `libvmx` or a script.
    for (const [host, mark] of [...this.#hosts].sort((a, b) => b[0].length - a[0].length)) {
      out = out.replace(new RegExp(`(?<![\\w-])${escapeRegExp(host)}(?![\\w-])`, 'gi'), mark);
    }
    out = out.replace(THUMB_COLON, (m) => this.#mapped(this.#thumbs, m.toUpperCase(), (n) => `«thumbprint-${n}»`));
    out = out.replace(THUMB_HEX, (m) => this.#mapped(this.#thumbs, m.toUpperCase(), (n) => `«thumbprint-${n}»`));
    out = out.replace(MAC, (m) =>
      /^00:00:5e:00:53:/i.test(m) || m === '00:00:00:00:00:00' || /^ff(:ff){5}$/i.test(m)
        ? m
        : this.#mapped(this.#macs, m.toLowerCase(), (n) => `00:00:5e:00:53:${(n % 256).toString(16).padStart(2, '0')}`),
    );
    out = out.replace(IPV4, (m) => (isDocV4(m) ? m : this.#mapped(this.#v4, m, docV4)));
    out = out.replace(IPV6, (m) =>
      m.toLowerCase().startsWith('2001:db8:') || MAC_SHAPE.test(m)
        ? m
        : this.#mapped(this.#v6, m.toLowerCase(), (n) => `2001:db8::${n.toString(16)}`),
    );
    return out;
  }

  #credential(header: string, value: string): string {
    if (header === 'cookie' || header === 'set-cookie') {
      // name=value; attributes — keep names and attributes so replay can still send a cookie.
      return value.replace(
        /(^|;\s*)([^=;\s]+)=("?)([^";]*)("?)/g,
        (m, lead: string, name: string, q1: string, v: string, q2: string) => {
          if (/^(path|domain|expires|max-age|samesite)$/i.test(name) || v.length === 0) return m;
          this.addSecret(v);
          return `${lead}${name}=${q1}${this.#secrets.get(v) ?? '«redacted»'}${q2}`;
        },
      );
    }
    const scheme = /^(Basic|Bearer|Negotiate|Digest)\s+(.*)$/i.exec(value);
    const secret = scheme ? scheme[2]! : value;
    this.addSecret(secret);
    return scheme
      ? `${scheme[1]} ${this.#secrets.get(secret) ?? '«redacted»'}`
      : (this.#secrets.get(secret) ?? '«redacted»');
  }

  #hostFor(host: string): string {
    let mark = this.#hosts.get(host.toLowerCase());
    if (!mark) {
      mark = `host-${this.#hosts.size + 1}.example.invalid`;
      this.#hosts.set(host.toLowerCase(), mark);
    }
    return mark;
  }

  #mapped(map: Map<string, string>, key: string, make: (n: number) => string): string {
    let mark = map.get(key);
    if (!mark) {
      mark = make(map.size + 1);
      map.set(key, mark);
    }
    return mark;
  }
}

/** Redaction marks are never secrets themselves: a recorded body can be redacted again. */
function isMark(value: string): boolean {
  return /^«[\w-]+»$/.test(value);
}

function forms(secret: string): string[] {
  const xml = secret
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
  const json = JSON.stringify(secret).slice(1, -1);
  return [...new Set([secret, xml, encodeURIComponent(secret), json, Buffer.from(secret).toString('base64')])];
}

function isDocV4(ip: string): boolean {
  return DOC_V4.some((prefix) => ip.startsWith(prefix)) || ip === '0.0.0.0' || ip === '255.255.255.255';
}

function docV4(n: number): string {
  const block = DOC_V4[Math.floor((n - 1) / 254) % DOC_V4.length]!;
  return `${block}${((n - 1) % 254) + 1}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
