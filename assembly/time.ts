// Clock and timer.

import { proxy_get_current_time_nanoseconds, proxy_set_tick_period_milliseconds } from "./abi/imports";
import { clearOut, outPtr, readOutU64, setLastStatus } from "./abi/memory";
import { Status } from "./constants";

/** Wall-clock time in nanoseconds since the epoch (hosts may freeze it per callback). */
export function getCurrentTimeNanoseconds(): u64 {
  clearOut();
  const status = setLastStatus(proxy_get_current_time_nanoseconds(outPtr()));
  return status == Status.Ok ? readOutU64() : 0;
}

/** Calls the root context's `onTick` every `periodMs` milliseconds; 0 stops the timer. */
export function setTickPeriodMilliseconds(periodMs: u32): Status {
  return <Status>proxy_set_tick_period_milliseconds(periodMs);
}
