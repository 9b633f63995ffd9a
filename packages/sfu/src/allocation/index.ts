/**
 * Spending each subscriber's bandwidth (issue 14): the per-subscriber layer allocator and
 * dynacast (which layers a publisher encodes). Sans-IO; the Router's tick will drive them.
 */
export {
  type Allocation,
  Allocator,
  type AllocLayer,
  type AllocTrack,
  MIN_LAYER_MS,
  type PauseReason,
  type TrackAllocation,
  type TrackSource,
  UPGRADE_HEADROOM,
  UPGRADE_HOLD_MS,
} from './allocator.ts';
export { DYNACAST_DOWN_DELAY_MS, Dynacast } from './dynacast.ts';
export {
  BETTER_AFTER_MS,
  type ConnectionQuality,
  LOST_AFTER_MS,
  opinionScore,
  type QualityInput,
  QualityTracker,
  qualityOf,
  STARVED_SHARE,
} from './quality.ts';
