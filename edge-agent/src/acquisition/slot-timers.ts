/**
 * One timer per due time, shared by every device scheduler of an agent: poll phases are
 * aligned to 50 ms slots of the clock (see scheduler.ts), so a hundred devices polled at 1 Hz
 * have at most 20 distinct due times a second; their cycles start from one timer per slot
 * instead of one timer per device (fewer timer-list insertions and wake-ups).
 */
import type { Clock, TimerHandle } from '@ganzhi/runtime';

interface Slot {
  handle: TimerHandle;
  fns: Set<() => void>;
}

export interface SlotTimer {
  readonly due: number;
  readonly fn: () => void;
}

export class SlotTimers {
  private readonly slots = new Map<number, Slot>();

  constructor(private readonly clock: Clock) {}

  /** Calls `fn` at clock time `due` (at once if it is past), together with the others due then. */
  at(due: number, fn: () => void): SlotTimer {
    let slot = this.slots.get(due);
    if (slot === undefined) {
      const fns = new Set<() => void>();
      const handle = this.clock.setTimeout(
        () => {
          this.slots.delete(due);
          for (const f of fns) f();
        },
        Math.max(0, due - this.clock.now()),
      );
      slot = { handle, fns };
      this.slots.set(due, slot);
    }
    // a wrapper: the same function may be registered twice for one slot
    const entry = () => fn();
    slot.fns.add(entry);
    return { due, fn: entry };
  }

  cancel(timer: SlotTimer): void {
    const slot = this.slots.get(timer.due);
    if (slot === undefined || !slot.fns.delete(timer.fn)) return;
    if (slot.fns.size === 0) {
      this.clock.clearTimeout(slot.handle);
      this.slots.delete(timer.due);
    }
  }

  /** Pending slots (tests). */
  get size(): number {
    return this.slots.size;
  }
}
