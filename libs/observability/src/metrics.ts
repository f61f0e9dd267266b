import { Controller, Get, Global, Header, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * spendguard's Prometheus metrics (prom-client). One registry per process;
 * metric names carry the `spendguard_` prefix and stable label names.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly ingestEvents = new Counter({
    name: 'spendguard_ingest_events_total',
    help: 'Events received by POST /v1/events, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly sinkRows = new Counter({
    name: 'spendguard_sink_rows_total',
    help: 'Rows the sink wrote to ClickHouse',
    registers: [this.registry],
  });

  readonly sinkDuplicates = new Counter({
    name: 'spendguard_sink_duplicates_total',
    help: 'Events the sink dropped because they were already stored',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly deadLettered = new Counter({
    name: 'spendguard_dead_lettered_total',
    help: 'Messages sent to the dead-letter topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly sinkFlushSeconds = new Histogram({
    name: 'spendguard_sink_flush_seconds',
    help: 'Duration of one ClickHouse insert by the sink',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly sinkBufferedRows = new Gauge({
    name: 'spendguard_sink_buffered_rows',
    help: 'Rows held by the sink, not yet in ClickHouse',
    registers: [this.registry],
  });

  readonly sinkInsertFailures = new Counter({
    name: 'spendguard_sink_insert_failures_total',
    help: 'Failed ClickHouse inserts (retried with backoff)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'spendguard_' });
  }
}

@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
