import { Global, Module } from '@nestjs/common';
import { ReplicaRouter } from './replica-router';

/** Reads on streaming replicas (DATABASE_REPLICA_URLS); inert without them. */
@Global()
@Module({
  providers: [ReplicaRouter],
  exports: [ReplicaRouter],
})
export class ReadReplicasModule {}
