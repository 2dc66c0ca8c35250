/**
 * Values that differ on every run of the same flow — a test's random tag (a UUID), a
 * snapshot's millisecond timestamp — and so cannot be matched literally on replay. A
 * recording replaces each with a well-formed stand-in of the same length, the same value
 * always by the same stand-in; a replay pairs the stand-ins in a recorded request with the
 * live values in the same places, and puts the live values back into the answers.
 */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const EPOCH_MS = /(?<=\.)1\d{12}(?!\d)/g;
const VOLATILE = new RegExp(`${UUID.source}|${EPOCH_MS.source}`, 'g');

export class VolatileTokens {
  #toStandIn = new Map<string, string>();
  #uuids = 0;
  #times = 0;

  /** Recording: every volatile value replaced by its stand-in. */
  standIn(text: string): string {
    return text.replace(VOLATILE, (v) => {
      let s = this.#toStandIn.get(v);
      if (!s) {
        s = v.includes('-')
          ? `00000000-0000-4000-8000-${(++this.#uuids).toString(16).padStart(12, '0')}`
          : String(1_700_000_000_000 + ++this.#times * 1000);
        this.#toStandIn.set(v, s);
      }
      return s;
    });
  }

  /** Spans [start, end) of volatile values in `text`, for length-preserving comparisons. */
  static spans(text: string): Array<[number, number]> {
    return [...text.matchAll(VOLATILE)].map((m) => [m.index!, m.index! + m[0].length]);
  }
}

/** Replay: stand-ins bound to the live values they stood for. */
export class LiveBindings {
  #live = new Map<string, string>();

  /**
   * True when `live` is `recorded` with volatile values in the places of the stand-ins;
   * binds each stand-in to its live value (a stand-in bound to another value is a mismatch).
   */
  match(recorded: string, live: string): boolean {
    const r = split(recorded);
    const l = split(live);
    if (r.fixed.length !== l.fixed.length || r.fixed.some((f, i) => f !== l.fixed[i])) return false;
    for (let i = 0; i < r.tokens.length; i++) {
      const bound = this.#live.get(r.tokens[i]!);
      if (bound !== undefined && bound !== l.tokens[i]) return false;
    }
    for (const [i, t] of r.tokens.entries()) this.#live.set(t, l.tokens[i]!);
    return true;
  }

  /** An answer with every bound stand-in replaced by its live value; unbound ones stay (well-formed). */
  restore(text: string): string {
    return text.replace(VOLATILE, (s) => this.#live.get(s) ?? s);
  }
}

function split(text: string): { fixed: string[]; tokens: string[] } {
  const fixed: string[] = [];
  const tokens: string[] = [];
  let at = 0;
  for (const m of text.matchAll(VOLATILE)) {
    fixed.push(text.slice(at, m.index));
    tokens.push(m[0]);
    at = m.index! + m[0].length;
  }
  fixed.push(text.slice(at));
  return { fixed, tokens };
}
