import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Module, Param, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Roles } from '../src/common/decorators';
import { ParseIdPipe } from '../src/common/parse-id.pipe';
import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, TestApp, TestUser } from './utils/app';

// A test-only controller (never shipped): routes that no production endpoint offers yet.
class LineDto {
  @IsUUID()
  variantId: string;

  @IsInt()
  @Min(1)
  quantity: number;
}

class AddressDto {
  @IsString()
  @MaxLength(20)
  city: string;
}

class NestedDto {
  @IsString()
  @MaxLength(20)
  label: string;

  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => LineDto)
  items: LineDto[];

  @ValidateNested()
  @Type(() => AddressDto)
  address: AddressDto;
}

class OptionalDto {
  @IsOptional()
  @IsString()
  reason?: string;
}

@Controller('platform-test')
@Roles()
class PlatformTestController {
  @Post('nested')
  @HttpCode(200)
  nested(@Body() dto: NestedDto) {
    return dto;
  }

  @Post('optional')
  @HttpCode(200)
  optional(@Body() dto: OptionalDto) {
    return { reason: dto.reason ?? null };
  }

  @Delete('things/:id')
  @HttpCode(204)
  remove(@Param('id', ParseIdPipe) _id: string): void {}

  @Get('boom')
  boom(): never {
    throw new Error('internal failure at secret-host:5432 password=hunter2');
  }
}

@Module({ controllers: [PlatformTestController] })
class PlatformTestModule {}

const PROBLEM_JSON = /^application\/problem\+json/;

function expectProblem(res: {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}) {
  expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
  expect(res.body).toMatchObject({
    type: expect.stringMatching(/^urn:oms:problem:/),
    title: expect.any(String),
    status: res.status,
    detail: expect.any(String),
    code: expect.any(String),
    requestId: res.headers['x-request-id'],
  });
  expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |stack/);
}

describe('platform: status codes, problem+json, request ids, validation', () => {
  let app: TestApp;
  let admin: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp({}, { imports: [PlatformTestModule] });
    admin = await createUser(app, UserRole.ADMIN);
    customer = await createUser(app, UserRole.CUSTOMER);
  });

  afterAll(async () => {
    await app.close();
  });

  describe('success codes carry X-Request-Id', () => {
    it('200 on a read, echoing the caller’s X-Request-Id', async () => {
      const res = await http(app).get('/api/v1/auth/me').set(admin.auth).set('X-Request-Id', 'abc-123');
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe('abc-123');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    it('generates an id when none (or an unusable one) is sent', async () => {
      const plain = await http(app).get('/api/v1/auth/me').set(admin.auth).expect(200);
      expect(plain.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const unusable = await http(app)
        .get('/api/v1/auth/me')
        .set(admin.auth)
        .set('X-Request-Id', 'has spaces and <html>')
        .expect(200);
      expect(unusable.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('201 on a create', async () => {
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .send({
          email: `new-${randomUUID()}@test.local`,
          password: 'long-enough-pass',
          fullName: 'N',
          role: 'support',
        });
      expect(res.status).toBe(201);
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
      expect(res.body).toMatchObject({ role: 'support', isActive: true });
    });

    it('204 with no body on a delete', async () => {
      const res = await http(app).delete(`/api/v1/platform-test/things/${randomUUID()}`).set(admin.auth);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
    });
  });

  describe('error codes are problem+json with X-Request-Id', () => {
    it('401 without a token', async () => {
      const res = await http(app).get('/api/v1/users').set('X-Request-Id', 'req-401');
      expect(res.status).toBe(401);
      expectProblem(res);
      expect(res.body).toMatchObject({
        code: 'UNAUTHORIZED',
        requestId: 'req-401',
        instance: '/api/v1/users',
      });
    });

    it('403 for a valid token without the role', async () => {
      const res = await http(app).get('/api/v1/users').set(customer.auth);
      expect(res.status).toBe(403);
      expectProblem(res);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('404 for an unknown id', async () => {
      const id = randomUUID();
      const res = await http(app).get(`/api/v1/users/${id}`).set(admin.auth);
      expect(res.status).toBe(404);
      expectProblem(res);
      expect(res.body).toMatchObject({ code: 'NOT_FOUND', detail: `User ${id} was not found` });
    });

    it('404 for unknown routes, inside and outside the API prefix (Fastify’s not-found path)', async () => {
      for (const path of ['/api/v1/no-such-route', '/no-such-route', '/api/v2/users']) {
        const res = await http(app).get(path).set('X-Request-Id', 'req-404');
        expect(res.status).toBe(404);
        expectProblem(res);
        expect(res.body).toMatchObject({ code: 'NOT_FOUND', requestId: 'req-404', instance: path });
      }
    });

    it('409 for a duplicate (case-insensitive) email', async () => {
      const email = `dup-${randomUUID()}@test.local`;
      const body = { email, password: 'long-enough-pass', fullName: 'Dup', role: 'customer' };
      await http(app).post('/api/v1/users').set(admin.auth).send(body).expect(201);
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .send({ ...body, email: email.toUpperCase() });
      expect(res.status).toBe(409);
      expectProblem(res);
      expect(res.body.code).toBe('CONFLICT');
    });

    it('413 for a body above BODY_LIMIT_BYTES (raised by Fastify before Nest)', async () => {
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .set('X-Request-Id', 'req-413')
        .send({ email: 'a@b.cd', password: 'x', fullName: 'x'.repeat(1_100_000), role: 'admin' });
      expect(res.status).toBe(413);
      expectProblem(res);
      expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', requestId: 'req-413' });
    });

    it('415 for a body that is not JSON', async () => {
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .set('Content-Type', 'text/plain')
        .send('email=a@b.cd');
      expect(res.status).toBe(415);
      expectProblem(res);
      expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('400 for malformed JSON (raised by Fastify before Nest)', async () => {
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .set('Content-Type', 'application/json')
        .set('X-Request-Id', 'req-bad-json')
        .send('{"email": ');
      expect(res.status).toBe(400);
      expectProblem(res);
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        detail: 'The request body is not valid JSON',
        errors: [{ field: 'body', message: 'The request body is not valid JSON' }],
        requestId: 'req-bad-json',
      });
    });

    it('422 for an Idempotency-Key reused with another body', async () => {
      const key = randomUUID();
      const body = {
        email: `idem-${randomUUID()}@test.local`,
        password: 'long-enough-pass',
        fullName: 'I',
        role: 'customer',
      };
      await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .set('Idempotency-Key', key)
        .send(body)
        .expect(201);
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .set('Idempotency-Key', key)
        .send({ ...body, fullName: 'Other' });
      expect(res.status).toBe(422);
      expectProblem(res);
      expect(res.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('500 says nothing about the internals', async () => {
      const res = await http(app).get('/api/v1/platform-test/boom').set(admin.auth);
      expect(res.status).toBe(500);
      expectProblem(res);
      expect(res.body).toEqual({
        type: 'urn:oms:problem:internal-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred',
        code: 'INTERNAL_ERROR',
        instance: '/api/v1/platform-test/boom',
        requestId: res.headers['x-request-id'],
      });
      expect(res.text).not.toMatch(/hunter2|secret-host/);
    });
  });

  describe('validation', () => {
    const validNested = () => ({
      label: 'ok',
      items: [{ variantId: randomUUID(), quantity: 1 }],
      address: { city: 'Berlin' },
    });

    it('accepts a valid body', async () => {
      const body = validNested();
      const res = await http(app).post('/api/v1/platform-test/nested').set(admin.auth).send(body).expect(200);
      expect(res.body).toEqual(body);
    });

    it('refuses unknown fields, at the top and nested, naming each', async () => {
      const body = { ...validNested(), isAdmin: true, address: { city: 'Berlin', planet: 'Mars' } };
      const res = await http(app).post('/api/v1/platform-test/nested').set(admin.auth).send(body);
      expect(res.status).toBe(400);
      expectProblem(res);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'isAdmin', message: 'is not an allowed field' },
          { field: 'address.planet', message: 'is not an allowed field' },
        ]),
      );
      expect(res.body.errors).toHaveLength(2);
    });

    it('names nested paths of bad values', async () => {
      const body = {
        label: 'ok',
        items: [
          { variantId: randomUUID(), quantity: 1 },
          { variantId: 'nope', quantity: 0 },
        ],
        address: { city: 'x'.repeat(21) },
      };
      const res = await http(app).post('/api/v1/platform-test/nested').set(admin.auth).send(body);
      expect(res.status).toBe(400);
      const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
      expect(fields).toEqual(['address.city', 'items.1.quantity', 'items.1.variantId']);
      expect(res.body.detail).toContain('items.1.quantity must not be less than 1');
      expect(res.body.detail).toContain('address.city must be shorter than or equal to 20 characters');
    });

    it('refuses a body that is not an object (array, null, number, string)', async () => {
      for (const raw of ['[]', 'null', '42', '"text"']) {
        const res = await http(app)
          .post('/api/v1/platform-test/nested')
          .set(admin.auth)
          .set('Content-Type', 'application/json')
          .send(raw);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({
          code: 'VALIDATION_FAILED',
          errors: [{ field: 'body', message: 'must be a JSON object' }],
        });
      }
    });

    it('lets a DTO with only optional fields be sent without a body', async () => {
      await http(app)
        .post('/api/v1/platform-test/optional')
        .set(admin.auth)
        .expect(200)
        .expect({ reason: null });
      await http(app)
        .post('/api/v1/platform-test/optional')
        .set(admin.auth)
        .send({ reason: 'because' })
        .expect(200)
        .expect({ reason: 'because' });
    });

    it('enforces string length limits on free text (fullName ≤ 200)', async () => {
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .send({
          email: `long-${randomUUID()}@test.local`,
          password: 'long-enough-pass',
          fullName: 'x'.repeat(201),
          role: 'customer',
        });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { field: 'fullName', message: 'fullName must be shorter than or equal to 200 characters' },
      ]);
    });

    it('a bad path id is a 400 naming the parameter', async () => {
      const res = await http(app).get('/api/v1/users/not-a-uuid').set(admin.auth);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
    });
  });

  describe('lists: page, pageSize, sort', () => {
    it('answers the {data, meta} envelope', async () => {
      const res = await http(app)
        .get('/api/v1/users?page=1&pageSize=2&sort=-createdAt')
        .set(admin.auth)
        .expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      expect(res.body.meta).toEqual({
        page: 1,
        pageSize: 2,
        total: expect.any(Number),
        totalPages: Math.ceil(res.body.meta.total / 2),
      });
    });

    it.each([
      ['pageSize=101', 'pageSize'],
      ['pageSize=0', 'pageSize'],
      ['pageSize=abc', 'pageSize'],
      ['page=0', 'page'],
      ['page=1.5', 'page'],
      ['page=1&page=2', 'page'],
      ['sort=password', 'sort'],
      ['sort=-email,passwordHash', 'sort'],
      ['sort=email;drop', 'sort'],
      ['role=superuser', 'role'],
      ['isActive=maybe', 'isActive'],
      ['unknownFilter=1', 'unknownFilter'],
    ])('%s → 400 naming %s', async (query, field) => {
      const res = await http(app).get(`/api/v1/users?${query}`).set(admin.auth);
      expect(res.status).toBe(400);
      expectProblem(res);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect((res.body.errors as Array<{ field: string }>).map((e) => e.field)).toContain(field);
    });
  });
});
