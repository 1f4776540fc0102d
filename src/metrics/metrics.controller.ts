import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators';
import { NoThrottle } from '../common/throttling';
import { MetricsService } from './metrics.service';

const EXAMPLE = [
  '# HELP oms_http_request_duration_seconds HTTP request duration, by method, route template and status code',
  '# TYPE oms_http_request_duration_seconds histogram',
  'oms_http_request_duration_seconds_bucket{le="0.05",method="GET",route="/api/v1/orders/:id",status_code="200"} 42',
].join('\n');

@ApiTags('operations')
@Controller('metrics')
@Public()
@NoThrottle()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics of this instance (public; restrict it at the load balancer)',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    content: { 'text/plain': { schema: { type: 'string', example: EXAMPLE } } },
  })
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}
