import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { DrkitError } from '@drkit/core';

/** A parsed element: local name, `xsi:type` and `type` attributes, text, children. */
export interface XmlNode {
  name: string;
  /** `xsi:type`, without prefix: the dynamic type of a vim25 value. */
  xsiType?: string;
  /** The `type` attribute of a ManagedObjectReference. */
  type?: string;
  text: string;
  children: XmlNode[];
}

export interface XmlLimits {
  /** Whole response. Default 2 GiB: a 10,000-VM site fits, a runaway server does not. */
  maxBytes: number;
  /** One text node. Default 16 MiB. */
  maxText: number;
}

const DEFAULT_LIMITS: XmlLimits = { maxBytes: 2 * 1024 ** 3, maxText: 16 * 1024 ** 2 };

/**
 * Parses a SOAP response as it streams. Elements at `streamDepth` whose name is in
 * `streamNames` are handed to `onElement` when they close and then dropped, so a
 * RetrievePropertiesEx result of any size is held one object at a time. Everything else
 * under Body is kept as a tree. DOCTYPE (and so any entity declaration) is refused, as
 * SOAP 1.1 forbids it and it is the door to entity-expansion attacks.
 */
export class SoapStreamReader {
  #parser = new SaxesParser({ xmlns: false, position: false });
  #decoder = new TextDecoder('utf-8', { fatal: true });
  #stack: XmlNode[] = [];
  #bytes = 0;
  #limits: XmlLimits;
  /** The element directly under soapenv:Body, once it has closed. */
  body: XmlNode | undefined;

  constructor(
    private readonly streamDepth = -1,
    private readonly streamNames: ReadonlySet<string> = new Set(),
    private readonly onElement: (node: XmlNode) => void = () => {},
    limits: Partial<XmlLimits> = {},
  ) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
    const p = this.#parser;
    p.on('doctype', () => {
      throw new DrkitError('protocol', 'refused XML with a DOCTYPE declaration');
    });
    p.on('opentag', (tag: SaxesTagPlain) => this.#open(tag));
    p.on('text', (text: string) => this.#text(text));
    p.on('cdata', (text: string) => this.#text(text));
    p.on('closetag', () => this.#close());
  }

  write(chunk: Uint8Array): void {
    this.#bytes += chunk.byteLength;
    if (this.#bytes > this.#limits.maxBytes) {
      throw new DrkitError('protocol', `SOAP response larger than ${this.#limits.maxBytes} bytes`);
    }
    this.#feed(this.#decoder.decode(chunk, { stream: true }));
  }

  end(): void {
    this.#feed(this.#decoder.decode());
    try {
      this.#parser.close();
    } catch (error) {
      throw asProtocolError(error);
    }
  }

  #feed(text: string): void {
    if (text.length === 0) return;
    try {
      this.#parser.write(text);
    } catch (error) {
      throw asProtocolError(error);
    }
  }

  #open(tag: SaxesTagPlain): void {
    const node: XmlNode = { name: localName(tag.name), text: '', children: [] };
    const attrs = tag.attributes;
    for (const key in attrs) {
      const value = attrs[key]!;
      if (key === 'type') node.type = value;
      else if (key === 'xsi:type' || key.endsWith(':type')) node.xsiType = localName(value);
    }
    this.#stack.push(node);
  }

  #text(text: string): void {
    const node = this.#stack[this.#stack.length - 1];
    // Only leaves carry values in vim25; whitespace between elements is noise.
    if (!node || (node.children.length > 0 && text.trim() === '')) return;
    if (node.text.length + text.length > this.#limits.maxText) {
      throw new DrkitError('protocol', `XML text node longer than ${this.#limits.maxText} characters`);
    }
    node.text += text;
  }

  #close(): void {
    const node = this.#stack.pop()!;
    const depth = this.#stack.length;
    if (depth === this.streamDepth && this.streamNames.has(node.name)) {
      this.onElement(node);
      return;
    }
    const parent = this.#stack[depth - 1];
    if (!parent) return;
    if (node.children.length > 0) node.text = '';
    parent.children.push(node);
    // Envelope(0) > Body(1) > the response or Fault(2).
    if (depth === 2 && parent.name === 'Body') this.body = node;
  }
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

function asProtocolError(error: unknown): DrkitError {
  if (DrkitError.isInstance(error)) return error;
  return new DrkitError('protocol', `malformed XML: ${(error as Error).message}`, { cause: error });
}

/** First child with this name. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  if (!node) return undefined;
  for (const c of node.children) if (c.name === name) return c;
  return undefined;
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  return node ? node.children.filter((c) => c.name === name) : [];
}

/** Text at a path of child names, e.g. `text(vm, 'backing', 'fileName')`. */
export function text(node: XmlNode | undefined, ...path: string[]): string | undefined {
  let cur = node;
  for (const name of path) cur = child(cur, name);
  return cur?.text;
}

export function num(node: XmlNode | undefined, ...path: string[]): number | undefined {
  const t = text(node, ...path);
  if (t === undefined || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

export function bool(node: XmlNode | undefined, ...path: string[]): boolean | undefined {
  const t = text(node, ...path);
  return t === undefined ? undefined : t === 'true' || t === '1';
}

/** XML-escapes a value for element text or an attribute. */
export function xmlEscape(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}
