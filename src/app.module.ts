import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { PlatformModule } from './common/platform.module';
import { AuthGuard } from './common/auth.guard';
import { ProblemFilter } from './common/problem.filter';
import { LOGIN_THROTTLE_KEY, loginTracker, OmsThrottlerGuard } from './common/throttling';
import { IdempotencyInterceptor } from './common/idempotency/idempotency.interceptor';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { UnitOfWorkInterceptor } from './common/unit-of-work.interceptor';
import { RequestContext } from './common/request-context';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { IdentityModule } from './identity/identity.module';
import { CatalogModule } from './catalog/catalog.module';
import { OrdersModule } from './orders/orders.module';
import { HistoryModule } from './history/history.module';
import { NotesModule } from './notes/notes.module';
import { ReservationsModule } from './reservations/reservations.module';
import { FulfillmentModule } from './fulfillment/fulfillment.module';
import { OrderManagementModule } from './order-management/order-management.module';

const isLoginRoute = (handler: object) => Reflect.getMetadata(LOGIN_THROTTLE_KEY, handler) === true;

@Module({
  imports: [
    PlatformModule,
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.get('LOG_LEVEL'),
          autoLogging: config.get('LOG_LEVEL') === 'debug' || config.get('LOG_LEVEL') === 'trace',
          genReqId: (request) => (request as { id?: string }).id ?? 'unknown',
          customProps: () => ({ requestId: RequestContext.current()?.requestId }),
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          serializers: {
            req: (req: { id: string; method: string; url: string }) => ({
              id: req.id,
              method: req.method,
              url: req.url,
            }),
          },
        },
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const redisUrl = config.get('REDIS_URL');
        return {
          throttlers: [
            {
              name: 'default',
              ttl: config.get('THROTTLE_TTL_MS'),
              limit: config.get('THROTTLE_LIMIT'),
            },
            {
              name: 'login',
              ttl: 60000,
              limit: config.get('LOGIN_THROTTLE_LIMIT'),
              getTracker: loginTracker,
              skipIf: (context) => !isLoginRoute(context.getHandler()),
            },
          ],
          storage: redisUrl ? new ThrottlerStorageRedisService(redisUrl) : undefined,
        };
      },
    }),
    ScheduleModule.forRoot(),
    DatabaseModule,
    IdempotencyModule,
    HealthModule,
    MetricsModule,
    IdentityModule,
    CatalogModule,
    OrdersModule,
    HistoryModule,
    NotesModule,
    ReservationsModule,
    FulfillmentModule,
    OrderManagementModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: ProblemFilter },
    // Guards run in this order: who is calling, then how often.
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: OmsThrottlerGuard },
    // Interceptors nest in this order: the idempotency claim wraps the transaction.
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    { provide: APP_INTERCEPTOR, useClass: UnitOfWorkInterceptor },
  ],
})
export class AppModule {}
