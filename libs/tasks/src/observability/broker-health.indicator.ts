import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { TaskMetrics } from './task-metrics.js';

/** Up while this process's broker connections (and a worker's consumer) are up. */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly metrics: TaskMetrics,
  ) {}

  check(key = 'broker') {
    const session = this.health.check(key);
    const connections = this.metrics.brokerConnections();
    return this.metrics.isBrokerConnected() ? session.up(connections) : session.down(connections);
  }
}
