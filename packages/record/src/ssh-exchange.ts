/** One SSH exec as a cassette line stores it (ssh.jsonl). Text is redacted; streams are base64. */
export interface SshExecRequest {
  /** Which connection of the fixture (one per adapter connect), from 0. */
  connection: number;
  /** The command line as sent, redacted, volatile values stood in for. */
  command: string;
  stdin?: string;
  /** A long-lived process whose streams were recorded rather than one answer. */
  stream?: true;
}

export interface SshExecResponse {
  code?: number;
  signal?: string;
  /** The redacted stdout of an exec, as text (execs print text; a scan can read it) — streams keep theirs in `stream`. */
  stdout?: string;
  stderr: string;
  stream?: SshStreamTranscript;
}

/**
 * A stream in the order it happened: each output chunk with how many input bytes had been
 * written before it, so a replay answers only once the same input has arrived.
 */
export interface SshStreamTranscript {
  /** base64 of all input, volatile values stood in for (same lengths as live). */
  input: string;
  /** Spans of volatile values in the input: compared by length, not content. */
  masks: Array<[number, number]>;
  events: Array<{ after: number; out: string }>;
  /**
   * A text stream (a PowerShell session): input and output were redacted as exec text is —
   * input chunk by chunk (a replay redacts what arrives the same way before comparing),
   * output per answer — and offsets count redacted bytes.
   */
  text?: true;
  /** Input bytes written when the process ended, and whether stdin had ended by then. */
  endedAfter: number;
  stdinEnded: boolean;
}
