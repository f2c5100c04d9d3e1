import { Controller, Get, Header } from '@nestjs/common';
import { Registry } from 'prom-client';
import { TaskMetrics } from './task-metrics.js';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: TaskMetrics) {}

  /** Prometheus text format. */
  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
