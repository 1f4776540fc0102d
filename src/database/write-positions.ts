import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ReplicaRouter } from './replica-router';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Read-your-writes with no help from the client: after an authenticated user's mutating request
 * (its transaction has committed by the time the answer is sent), the primary's WAL position is
 * stored for that user before the answer leaves, so their next read, on any instance, is served
 * only by a replica that has replayed it. Registers nothing without replicas.
 */
export function rememberWritePositions(fastify: FastifyInstance, router: ReplicaRouter): void {
  if (!router.enabled) return;
  fastify.addHook('onSend', async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
    if (!MUTATING.has(request.method)) return payload;
    const userId = (request as FastifyRequest & { user?: { id?: string } }).user?.id;
    if (userId) await router.rememberWrite(userId);
    return payload;
  });
}
