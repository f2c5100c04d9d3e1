import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { BrokerHealthIndicator } from './broker-health.indicator.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly broker: BrokerHealthIndicator,
  ) {}

  /** 200 while the broker connection is up, 503 while it is not. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.broker.check()]);
  }
}
