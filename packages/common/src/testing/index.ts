/** Helpers for the tests of every package (not part of any runtime). Node-only ones: `@itda/common/node-testing`. */
export { seededRandom, shuffled } from './random.ts';
