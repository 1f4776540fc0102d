import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BadRequestError, NotFoundError } from '../common/errors';
import { offsetOf, Page, parseSort, toPage } from '../common/pagination';
import {
  WebhookSubscriptionsRepository,
  SubscriptionChanges,
  SubscriptionRow,
} from './webhook-subscriptions.repository';
import {
  DeliveryRow,
  DeliverySortColumn,
  WebhookDeliveriesRepository,
} from './webhook-deliveries.repository';
import { UnsafeWebhookUrlError, WebhookAddressGuard } from './webhook-address-guard';
import { WebhookSecretBox } from './webhook-secret-box';
import {
  CreateWebhookSubscriptionDto,
  ListWebhookDeliveriesQueryDto,
  ListWebhookSubscriptionsQueryDto,
  UpdateWebhookSubscriptionDto,
  WebhookDeliveryResponse,
  WebhookSubscriptionResponse,
} from './dto/webhook-subscription.dto';

export function toSubscriptionResponse(row: SubscriptionRow): WebhookSubscriptionResponse {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    isActive: row.is_active,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function toDeliveryResponse(row: DeliveryRow): WebhookDeliveryResponse {
  return {
    id: row.id,
    eventId: row.event_id,
    type: row.event_type,
    orderId: row.order_id,
    sequence: row.sequence,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    responseStatus: row.response_status,
    nextAttemptAt: new Date(row.next_attempt_at).toISOString(),
    sentAt: row.sent_at ? new Date(row.sent_at).toISOString() : null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** The `sort` fields of GET /webhook-subscriptions/:id/deliveries and their columns. */
export const DELIVERY_SORT_FIELDS: Record<string, DeliverySortColumn> = {
  createdAt: 'created_at',
  nextAttemptAt: 'next_attempt_at',
  sequence: 'sequence',
  attempts: 'attempts',
};

/** Webhook subscriptions (admin) and their deliveries. */
@Injectable()
export class WebhookSubscriptionsService {
  constructor(
    private readonly subscriptions: WebhookSubscriptionsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly guard: WebhookAddressGuard,
    private readonly secrets: WebhookSecretBox,
  ) {}

  async create(dto: CreateWebhookSubscriptionDto): Promise<WebhookSubscriptionResponse> {
    const url = await this.checkedUrl(dto.url);
    const id = randomUUID();
    const row = await this.subscriptions.insert({
      id,
      url,
      secret: this.secrets.seal(dto.secret, id),
      events: dto.events,
      description: dto.description ?? null,
    });
    return toSubscriptionResponse(row);
  }

  async list(query: ListWebhookSubscriptionsQueryDto): Promise<Page<WebhookSubscriptionResponse>> {
    const [order] = parseSort(query.sort, { createdAt: 'createdAt' }, 'createdAt');
    const [rows, total] = await this.subscriptions.page(offsetOf(query), query.pageSize, order.createdAt);
    return toPage(rows.map(toSubscriptionResponse), total, query);
  }

  async get(id: string): Promise<WebhookSubscriptionResponse> {
    return toSubscriptionResponse(await this.require(id));
  }

  async update(id: string, dto: UpdateWebhookSubscriptionDto): Promise<WebhookSubscriptionResponse> {
    const changes: SubscriptionChanges = {
      events: dto.events,
      description: dto.description,
      isActive: dto.isActive,
    };
    if (dto.url !== undefined) changes.url = await this.checkedUrl(dto.url);
    if (dto.secret !== undefined) changes.secret = this.secrets.seal(dto.secret, id);
    const row = await this.subscriptions.update(id, changes);
    if (!row) throw new NotFoundError('Webhook subscription', id);
    return toSubscriptionResponse(row);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.subscriptions.delete(id))) throw new NotFoundError('Webhook subscription', id);
  }

  async deliveriesOf(
    id: string,
    query: ListWebhookDeliveriesQueryDto,
  ): Promise<Page<WebhookDeliveryResponse>> {
    const order = parseSort(query.sort, DELIVERY_SORT_FIELDS, '-createdAt');
    await this.require(id);
    const [rows, total] = await this.deliveries.page(
      id,
      query.status,
      order.map((o) => Object.entries(o)[0] as [DeliverySortColumn, 'asc' | 'desc']),
      offsetOf(query),
      query.pageSize,
    );
    return toPage(rows.map(toDeliveryResponse), total, query);
  }

  async redeliver(id: string, deliveryId: string): Promise<WebhookDeliveryResponse> {
    const row = await this.deliveries.redeliver(id, deliveryId);
    if (!row) throw new NotFoundError('Webhook delivery', deliveryId);
    return toDeliveryResponse(row);
  }

  private async require(id: string): Promise<SubscriptionRow> {
    const row = await this.subscriptions.findById(id);
    if (!row) throw new NotFoundError('Webhook subscription', id);
    return row;
  }

  /** The URL, normalised, once it is known to be allowed (400 naming `url` otherwise). */
  private async checkedUrl(raw: string): Promise<string> {
    try {
      const url = this.guard.parse(raw);
      await this.guard.checkedAddress(url);
      return url.toString();
    } catch (error) {
      if (error instanceof UnsafeWebhookUrlError) {
        throw new BadRequestError(`url is not allowed: ${error.message}`, [
          { field: 'url', message: error.message },
        ]);
      }
      throw error;
    }
  }
}
