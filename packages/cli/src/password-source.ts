import { readFile } from 'node:fs/promises';
import { DrkitError } from '@drkit/core';

/**
 * Where a password comes from, in order: --password-file, DRKIT_PASSWORD, an interactive
 * prompt with echo off. Never the command line, never a URL.
 */
export function passwordSource(options: { passwordFile?: string; prompt: string }): () => Promise<string> {
  let cached: string | undefined;
  return async () => {
    if (cached !== undefined) return cached;
    if (options.passwordFile) {
      cached = (await readFile(options.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } else if (process.env.DRKIT_PASSWORD) {
      cached = process.env.DRKIT_PASSWORD;
    } else if (process.stdin.isTTY) {
      cached = await promptHidden(options.prompt);
    } else {
      throw new DrkitError(
        'bad-input',
        'no password: use --password-file, DRKIT_PASSWORD or run in a terminal to be prompted',
      );
    }
    return cached;
  };
}

async function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          return resolve(value);
        }
        if (ch === '\u0003') {
          done();
          return reject(new DrkitError('aborted', 'interrupted at the password prompt'));
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
