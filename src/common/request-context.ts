import { AsyncLocalStorage } from 'node:async_hooks';
import { UserRole } from '../identity/user-role.enum';

/** What every layer may know about the request in flight, without passing it around. */
export interface RequestContextData {
  requestId: string;
  actorId?: string;
  actorRole?: UserRole;
  ip?: string;
  userAgent?: string;
}

const storage = new AsyncLocalStorage<RequestContextData>();

export const RequestContext = {
  run<T>(data: RequestContextData, fn: () => T): T {
    return storage.run(data, fn);
  },
  current(): RequestContextData | undefined {
    return storage.getStore();
  },
  /** Called by the auth guard once the token is verified. */
  setActor(actorId: string, actorRole: UserRole): void {
    const store = storage.getStore();
    if (store) {
      store.actorId = actorId;
      store.actorRole = actorRole;
    }
  },
};
