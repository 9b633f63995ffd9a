/**
 * The display-name rule, the same at every entry point: `join.name` and `update.name`
 * (schemas.ts), a room token's `name` claim, WHIP's `?name=`, the web app's name field.
 *
 * A name is trimmed (`String.prototype.trim`: Unicode White_Space and line terminators),
 * then it must
 * - be 1–64 UTF-16 code units long (MAX_NAME_LENGTH);
 * - hold no control character (Unicode Cc: C0, DEL, C1) and no lone surrogate (Cs),
 *   which no UTF-8 text can carry;
 * - hold at least one character that is neither whitespace nor an invisible format
 *   character (Unicode Cf: zero-width space and joiners, bidi controls, BOM), so that
 *   everyone sees a name — four spaces or four U+200B are not one.
 */
import { ItdaError } from '@itda/common';
import { ErrorCode } from './errors.ts';
import { MAX_NAME_LENGTH } from './limits.ts';

const FORBIDDEN = /[\p{Cc}\p{Cs}]/u;
const VISIBLE = /[^\p{White_Space}\p{Cf}]/u;

/** What is wrong with `raw` as a display name (after trimming), or undefined when it is one. */
export function displayNameProblem(raw: string): string | undefined {
  const name = raw.trim();
  if (name.length === 0) return 'a name must not be empty';
  if (name.length > MAX_NAME_LENGTH) return `a name is at most ${MAX_NAME_LENGTH} characters`;
  if (FORBIDDEN.test(name)) return 'a name must not hold control characters';
  if (!VISIBLE.test(name)) return 'a name needs a visible character';
  return undefined;
}

/** `raw` trimmed, when it is a display name; else throws ItdaError `bad_message` saying why. */
export function normalizeDisplayName(raw: string): string {
  const problem = displayNameProblem(raw);
  if (problem !== undefined) throw new ItdaError(ErrorCode.BadMessage, problem);
  return raw.trim();
}

/**
 * `raw` trimmed and cut to MAX_NAME_LENGTH without splitting a surrogate pair — for a
 * text field, where a long name is better cut than refused. Check it with
 * displayNameProblem after.
 */
export function clampDisplayName(raw: string): string {
  let name = raw.trim();
  if (name.length > MAX_NAME_LENGTH) {
    const last = name.charCodeAt(MAX_NAME_LENGTH - 1);
    name = name.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_NAME_LENGTH - 1 : MAX_NAME_LENGTH).trimEnd();
  }
  return name;
}
