import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from '../config/app-config';
import { validateEnvironment } from '../config/env.validation';
import { UnitOfWork } from './unit-of-work';

/** Settings and the unit of work, available to every module. */
@Global()
@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      validate: validateEnvironment,
      ignoreEnvFile: false,
    }),
  ],
  providers: [AppConfig, UnitOfWork],
  exports: [AppConfig, UnitOfWork],
})
export class PlatformModule {}
