import { DrkitError } from './errors.js';

/** What a platform accepts in the names that carry a snapshot's tag. */
export interface TagRules {
  /** Longest tag the platform's names leave room for. */
  maxLength: number;
  /** Array object names (ONTAP, Pure) take letters, digits and '-', starting with a letter. */
  namesLikeArrays?: boolean;
}

/**
 * The one check of a snapshot tag, for every adapter: a tag becomes part of a path, an LV
 * or dataset name, a VSS registry value or an array object's name, so it is letters, digits,
 * '.', '_' and '-' (arrays: letters, digits and '-', from a letter), never longer than the
 * platform allows. drkit's own tags (`drkit-<uuid>`, 42 characters) pass everywhere.
 */
export function checkSnapshotTag(tag: string, rules: TagRules): string {
  const body = rules.namesLikeArrays ? '[A-Za-z][A-Za-z0-9-]' : '[A-Za-z0-9][A-Za-z0-9._-]';
  const ok = typeof tag === 'string' && tag.length <= rules.maxLength && new RegExp(`^${body}*$`).test(tag);
  if (!ok) {
    const allowed = rules.namesLikeArrays
      ? "letters, digits and '-', starting with a letter"
      : "letters, digits, '.', '_' and '-'";
    throw new DrkitError('bad-input', `snapshot tag ${JSON.stringify(tag)}: ${allowed}, at most ${rules.maxLength}`);
  }
  return tag;
}
