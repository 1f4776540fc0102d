import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MetricsService } from './metrics.service';

/**
 * Times every HTTP answer (including guard rejections, 404s and Fastify's own 400/413s) with a
 * Fastify onResponse hook. The route label is the route template (`/api/v1/orders/:id`), never the
 * raw URL, so the number of series stays bounded.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addHook !== 'function') return;
    fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      this.metrics.observeHttp(
        request.method,
        request.routeOptions?.url,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
}
