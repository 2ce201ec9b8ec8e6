// Metrics, exported by Envoy as stats (e.g. /stats/prometheus).

import { proxy_define_metric, proxy_get_metric, proxy_increment_metric, proxy_record_metric } from "./abi/imports";
import { clearOut, lenOf, outPtr, ptrOf, readOutU64, setLastStatus, utf8 } from "./abi/memory";
import { MetricType, Status } from "./constants";

/** Defines (or finds) a metric; returns its id, 0 on failure (see getLastStatus()). */
export function defineMetric(type: MetricType, name: string): u32 {
  const n = utf8(name);
  clearOut();
  const status = setLastStatus(proxy_define_metric(<u32>type, ptrOf(n), lenOf(n), outPtr()));
  return status == Status.Ok ? load<u32>(outPtr()) : 0;
}

export function incrementMetric(metricId: u32, offset: i64): Status {
  return <Status>proxy_increment_metric(metricId, offset);
}

export function recordMetric(metricId: u32, value: u64): Status {
  return <Status>proxy_record_metric(metricId, value);
}

/** The metric's current value, 0 on failure (see getLastStatus()). */
export function getMetric(metricId: u32): u64 {
  clearOut();
  const status = setLastStatus(proxy_get_metric(metricId, outPtr()));
  return status == Status.Ok ? readOutU64() : 0;
}

/** A monotonically increasing count. */
export class Counter {
  constructor(public readonly id: u32) {}
  static define(name: string): Counter {
    return new Counter(defineMetric(MetricType.Counter, name));
  }
  increment(offset: i64 = 1): Status { return incrementMetric(this.id, offset); }
  get(): u64 { return getMetric(this.id); }
}

/** A value that goes up and down. */
export class Gauge {
  constructor(public readonly id: u32) {}
  static define(name: string): Gauge {
    return new Gauge(defineMetric(MetricType.Gauge, name));
  }
  record(value: u64): Status { return recordMetric(this.id, value); }
  increment(offset: i64 = 1): Status { return incrementMetric(this.id, offset); }
  decrement(offset: i64 = 1): Status { return incrementMetric(this.id, -offset); }
  get(): u64 { return getMetric(this.id); }
}

/** A distribution of recorded values. */
export class Histogram {
  constructor(public readonly id: u32) {}
  static define(name: string): Histogram {
    return new Histogram(defineMetric(MetricType.Histogram, name));
  }
  record(value: u64): Status { return recordMetric(this.id, value); }
}
