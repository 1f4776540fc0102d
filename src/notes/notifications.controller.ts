import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ApiPageResponse, ApiProblems } from '../common/openapi';
import { Page } from '../common/pagination';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { UserRole } from '../identity/user-role.enum';
import { NotificationsService } from './notifications.service';
import { toNotificationResponse } from './note-response';
import { ListNotificationsQueryDto, NotificationResponse } from './dto/notification.dto';
import { MayReadFromReplica } from '../database/read-replicas';

@ApiTags('notifications')
@Controller('notifications')
@Roles(UserRole.ADMIN, UserRole.SUPPORT)
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOperation({
    summary:
      'List customer notifications, filter status (pending, sent, failed) and orderId; sort: createdAt, nextAttemptAt, sentAt (roles: admin, support)',
  })
  @ApiPageResponse(NotificationResponse)
  @ApiProblems(400)
  @MayReadFromReplica()
  async list(@Query() query: ListNotificationsQueryDto): Promise<Page<NotificationResponse>> {
    const page = await this.notifications.list(query);
    return { ...page, data: page.data.map(toNotificationResponse) };
  }

  @Post(':id/retry')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Put a failed notification back to pending, due now, attempts reset (roles: admin, support)',
  })
  @ApiOkResponse({ type: NotificationResponse })
  @ApiProblems(400, 404, 409)
  async retry(@Param('id', ParseIdPipe) id: string): Promise<NotificationResponse> {
    return toNotificationResponse(await this.notifications.retry(id));
  }
}
