import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../src/index.js';

const ROOT = new URL('../../../fixtures/', import.meta.url).pathname;

async function fixtureDirs(): Promise<string[]> {
  const out: string[] = [];
  for (const adapter of await readdir(ROOT)) {
    if (!(await stat(join(ROOT, adapter))).isDirectory()) continue;
    for (const scenario of await readdir(join(ROOT, adapter))) {
      if ((await stat(join(ROOT, adapter, scenario))).isDirectory()) out.push(join(ROOT, adapter, scenario));
    }
  }
  return out;
}

describe('every shipped fixture', () => {
  it('exists: the scan below is not vacuous', async () => {
    expect((await fixtureDirs()).length).toBeGreaterThanOrEqual(2);
  });

  it('is redacted: no credential, session cookie, thumbprint or non-documentation address', async () => {
    for (const dir of await fixtureDirs()) {
      const manifest = await readManifest(dir);
      expect(manifest.redactions.length, dir).toBeGreaterThan(0);
      const files = await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')));
      // Streams keep their bytes as base64: their input (and a text stream's output) is scanned decoded too.
      const text = [...files, ...files.flatMap(textStreams)].join('\n');
      expect(text, dir).not.toMatch(/<password>(?!«redacted»<)/);
      expect(text, dir).not.toMatch(/<userName>(?!«redacted»<)/);
      expect(text, dir).not.toMatch(/vmware_soap_session="?(?!«)[^";«]/);
      expect(text, dir).not.toMatch(/(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])/);
      expect(text, dir).not.toMatch(/(?:[0-9A-F]{2}:){19,}[0-9A-F]{2}/);
      const addresses = text.match(/(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g) ?? [];
      expect(
        addresses.filter((a) => !/^(192\.0\.2|198\.51\.100|203\.0\.113)\./.test(a)),
        dir,
      ).toEqual([]);
      // REST credentials: Basic auth, API tokens, session tokens — in headers and JSON fields.
      expect(text, dir).not.toMatch(/"authorization":"(?!(?:Basic |Bearer )?«)/i);
      expect(text, dir).not.toMatch(/"(?:x-auth-token|api-token)":"(?!«)/i);
      expect(text, dir).not.toMatch(/"(?:cookie|set-cookie)":"(?![\w-]+=«)/i);
      expect(text, dir).not.toMatch(/\\"(?:username|password|api_token)\\":\\"(?!«)/i);
      expect(text, dir).not.toMatch(/(?<!\\)"(?:username|password|api_token)":"(?!«)/i);
      const macs = text.match(/(?<![\w:])(?:[0-9a-f]{2}:){5}[0-9a-f]{2}(?![\w:])/gi) ?? [];
      expect(
        macs.filter((m) => !/^00:00:5e:00:53:|^00(:00){5}$|^ff(:ff){5}$/i.test(m)),
        dir,
      ).toEqual([]);
    }
  });
});

/** The decoded input of every stream in a cassette's lines, and the output of text streams (disk data stays out). */
function textStreams(file: string): string[] {
  const out: string[] = [];
  for (const line of file.split('\n')) {
    if (!line.includes('"stream":{')) continue;
    const stream = (
      JSON.parse(line) as { response?: { stream?: { text?: boolean; input: string; events: Array<{ out: string }> } } }
    ).response?.stream;
    if (!stream) continue;
    out.push(Buffer.from(stream.input, 'base64').toString('latin1')); // as recorded: one char per byte
    if (stream.text) for (const e of stream.events) out.push(Buffer.from(e.out, 'base64').toString('utf8'));
  }
  return out;
}
