import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BrokerHealthIndicator } from './broker-health.indicator.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { TaskMetrics } from './task-metrics.js';

/**
 * `GET /health` (terminus) and `GET /metrics` (prom-client) for an app of the
 * task queue. Global, so that `TaskPublisher` and the worker find `TaskMetrics`.
 */
@Global()
@Module({
  // Probes of a down broker are expected: answering 503 is enough, no log line each time.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
  providers: [TaskMetrics, BrokerHealthIndicator],
  exports: [TaskMetrics],
})
export class TasksObservabilityModule {}
