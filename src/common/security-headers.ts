import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** JSON (and CSV, metrics) answers are data, never documents to render, frame or cache. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Swagger UI runs its own scripts and styles; it only must not be framed (clickjacking). */
const DOCS_CSP = "frame-ancestors 'none'";

/**
 * The response headers of the OWASP REST Security Cheat Sheet, set on every answer (errors and
 * Fastify's own 404/413/415 included): no MIME sniffing, no framing, no referrer, and for the API
 * no caching (answers hold personal data and tokens) and a deny-all CSP. HSTS only on requests
 * that arrived over HTTPS (behind a TLS-terminating proxy: X-Forwarded-Proto with TRUST_PROXY).
 * Routes that set their own Cache-Control keep it.
 */
export function registerSecurityHeaders(fastify: FastifyInstance, docsPath = '/docs'): void {
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
    setSecurityHeaders(request, reply, docsPath);
    done(null, payload);
  });
}

/** The headers above on one answer; also for answers that skip the hooks (framework-errors.ts). */
export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply, docsPath = '/docs'): void {
  const path = request.url.split('?')[0];
  const docs = path === docsPath || path.startsWith(`${docsPath}/`) || path.startsWith(`${docsPath}-`);
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('X-Frame-Options', 'DENY');
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('Content-Security-Policy', docs ? DOCS_CSP : API_CSP);
  if (!docs && !reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
  if (request.protocol === 'https') {
    reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  }
}
