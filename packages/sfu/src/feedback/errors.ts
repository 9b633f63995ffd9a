/**
 * Errors of the feedback module (RTCP machinery per stream). Every error carries a stable
 * `code` from `FeedbackErrorCode` (never renamed once released); tests assert on `code`.
 * The per-packet paths never throw: they count and drop instead. Errors come from
 * option validation at construction.
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';

export const FeedbackErrorCode = {
  /** An option is out of its documented range (e.g. slots not a power of two). */
  BadOption: 'feedback_bad_option',
} as const;

export type FeedbackErrorCode = (typeof FeedbackErrorCode)[keyof typeof FeedbackErrorCode];

/** An error of the feedback module; `code` is a `FeedbackErrorCode`. */
export class FeedbackError extends ItdaError {
  override readonly name: string = 'FeedbackError';
  constructor(code: FeedbackErrorCode, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Validates an integer option in `[min, max]`; returns it or `fallback` when undefined. */
export function intOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new FeedbackError(FeedbackErrorCode.BadOption, `${name} must be an integer in ${min}…${max}, got ${v}`);
  }
  return v;
}

/** Validates a power-of-two option in `[min, max]`. */
export function powerOfTwoOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = intOption(name, value, fallback, min, max);
  if ((v & (v - 1)) !== 0)
    throw new FeedbackError(FeedbackErrorCode.BadOption, `${name} must be a power of two, got ${v}`);
  return v;
}
