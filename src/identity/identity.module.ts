import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '../config/app-config';
import { User } from './user.entity';
import { UsersService } from './users.service';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';
import { JwtStrategy } from './jwt.strategy';
import { AuthController } from './auth.controller';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { AuthStateCache } from './auth-state.cache';
import { AuthChangeListener } from './auth-change.listener';
import { AuthChangeSubscriber } from './auth-change.subscriber';

@Module({
  imports: [
    MikroOrmModule.forFeature([User]),
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.get('JWT_SECRET'),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, UsersController],
  providers: [
    UsersService,
    UsersRepository,
    AuthService,
    PasswordHasher,
    JwtStrategy,
    AuthStateCache,
    AuthChangeListener,
    AuthChangeSubscriber,
  ],
  exports: [UsersService, PasswordHasher],
})
export class IdentityModule {}
