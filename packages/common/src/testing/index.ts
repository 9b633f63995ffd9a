/** Helpers for the tests of every package (not part of any runtime). */
export { seededRandom, shuffled } from './random.ts';
