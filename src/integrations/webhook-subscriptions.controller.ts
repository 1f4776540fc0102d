import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { Page } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { UserRole } from '../identity/user-role.enum';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';
import {
  CreateWebhookSubscriptionDto,
  ListWebhookDeliveriesQueryDto,
  ListWebhookSubscriptionsQueryDto,
  UpdateWebhookSubscriptionDto,
  WebhookDeliveryResponse,
  WebhookSubscriptionResponse,
} from './dto/webhook-subscription.dto';

@ApiTags('integrations')
@Controller('webhook-subscriptions')
@Roles(UserRole.ADMIN)
export class WebhookSubscriptionsController {
  constructor(private readonly subscriptions: WebhookSubscriptionsService) {}

  @Post()
  @Idempotent()
  @ApiOperation({
    summary:
      'Subscribe a URL to order events; signed JSON POSTs per event (X-OMS-Signature), the secret is never returned (roles: admin)',
    description:
      'Each matching event that happens from now on is POSTed as JSON `{id, type, orderId, orderNumber, sequence, occurredAt, data}` with headers X-OMS-Event-Id, X-OMS-Event-Type, X-OMS-Timestamp and X-OMS-Signature (`sha256=` hex HMAC-SHA256 with the secret over `<timestamp>.<event id>.<raw body>`), within seconds of the commit. Any 2xx within WEBHOOK_TIMEOUT_MS is success; anything else is retried with exponential backoff, then `failed`. Per order, events arrive in `sequence` order (a later one waits while an earlier one is retried; once that is failed, the later ones go on). At least once: deduplicate on X-OMS-Event-Id. Earlier events: GET /events.',
  })
  @ApiCreatedResponse({ type: WebhookSubscriptionResponse })
  @ApiProblems(400, 422)
  create(@Body() dto: CreateWebhookSubscriptionDto): Promise<WebhookSubscriptionResponse> {
    return this.subscriptions.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'List webhook subscriptions; sort: createdAt (roles: admin)' })
  @ApiPageResponse(WebhookSubscriptionResponse)
  @ApiProblems(400)
  list(@Query() query: ListWebhookSubscriptionsQueryDto): Promise<Page<WebhookSubscriptionResponse>> {
    return this.subscriptions.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a webhook subscription (roles: admin)' })
  @ApiOkResponse({ type: WebhookSubscriptionResponse })
  @ApiProblems(400, 404)
  get(@Param('id', ParseIdPipe) id: string): Promise<WebhookSubscriptionResponse> {
    return this.subscriptions.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change url, events, description or secret; isActive=false pauses (roles: admin)',
    description:
      'While paused, no deliveries are queued for the subscription (read those events from GET /events) and its queued deliveries wait until it is active again.',
  })
  @ApiOkResponse({ type: WebhookSubscriptionResponse })
  @ApiProblems(400, 404)
  update(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: UpdateWebhookSubscriptionDto,
  ): Promise<WebhookSubscriptionResponse> {
    return this.subscriptions.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a webhook subscription and its deliveries (roles: admin)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 404)
  async delete(@Param('id', ParseIdPipe) id: string): Promise<void> {
    await this.subscriptions.delete(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary:
      'Deliveries of a subscription, newest first, filter status (pending, sent, failed) (roles: admin)',
    description:
      '`sort`: `createdAt`, `nextAttemptAt`, `sequence`, `attempts`, comma-separated, `-` for descending (default `-createdAt`); ties go by order, then sequence. Any other field is a 400 naming `sort`.',
  })
  @ApiPageResponse(WebhookDeliveryResponse)
  @ApiProblems(400, 404)
  deliveries(
    @Param('id', ParseIdPipe) id: string,
    @Query() query: ListWebhookDeliveriesQueryDto,
  ): Promise<Page<WebhookDeliveryResponse>> {
    return this.subscriptions.deliveriesOf(id, query);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Send a delivery again at the next dispatcher run, whatever its status, with a fresh round of attempts (roles: admin)',
  })
  @ApiOkResponse({ type: WebhookDeliveryResponse })
  @ApiProblems(400, 404)
  redeliver(
    @Param('id', ParseIdPipe) id: string,
    @Param('deliveryId', ParseIdPipe) deliveryId: string,
  ): Promise<WebhookDeliveryResponse> {
    return this.subscriptions.redeliver(id, deliveryId);
  }
}
