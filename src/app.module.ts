import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from './config/app-config';
import { PlatformModule } from './common/platform.module';
import { AuthGuard } from './common/auth.guard';
import { ProblemFilter } from './common/problem.filter';
import { createThrottlerOptions, OmsThrottlerGuard } from './common/throttling';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { UnitOfWorkInterceptor } from './common/unit-of-work.interceptor';
import { LoggingModule } from './common/logging';
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
import { ReportingModule } from './reporting/reporting.module';
import { IntegrationsModule } from './integrations/integrations.module';

@Module({
  imports: [
    PlatformModule,
    LoggingModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => createThrottlerOptions(config),
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
    ReportingModule,
    IntegrationsModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: ProblemFilter },
    // Guards run in this order: who is calling, then how often. The auth guard also counts the
    // requests it refuses, through the same rate limiter.
    OmsThrottlerGuard,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useExisting: OmsThrottlerGuard },
    // One interceptor: the unit of work fingerprints an idempotent request first, then claims its
    // key inside the transaction.
    { provide: APP_INTERCEPTOR, useClass: UnitOfWorkInterceptor },
  ],
})
export class AppModule {}
