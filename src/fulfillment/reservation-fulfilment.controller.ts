import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ApiProblems } from '../common/openapi';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { UserRole } from '../identity/user-role.enum';
import { toReservationResponse } from '../reservations/reservations.service';
import { FulfilReservationDto, ReservationResponse } from '../reservations/dto/reservation.dto';
import { FulfillmentService } from './fulfillment.service';

/**
 * POST /reservations/:id/fulfil lives here, not beside the other reservation routes: units that
 * leave stock for an order are shipped units of that order, which the fulfillment module records.
 */
@ApiTags('reservations')
@Controller()
export class ReservationFulfilmentController {
  constructor(private readonly fulfillments: FulfillmentService) {}

  @Post('reservations/:id/fulfil')
  @HttpCode(200)
  @Roles(UserRole.ADMIN, UserRole.WAREHOUSE)
  @ApiOperation({
    summary:
      'Hand over units of a reservation without the pick-and-pack workflow; they count as shipped ' +
      '(roles: admin, warehouse)',
    description:
      'On hand and reserved go down together at the reservation’s stock location, and the units are ' +
      'recorded as a fulfillment of the order at that location, created `shipped` (history `shipped`): ' +
      'they count as shipped everywhere — what is left to put into fulfillments, the order becoming ' +
      '`shipped` once every unit has shipped (then delivered, returned), and an order with shipped units ' +
      'is no longer cancelled. 409 when the order is not `confirmed` or `processing`, when the ' +
      'reservation is inactive or holds fewer outstanding units, and for units already in the order’s ' +
      'fulfillments (ship or cancel those instead).',
  })
  @ApiOkResponse({ type: ReservationResponse })
  @ApiProblems(400, 404, 409)
  async fulfil(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: FulfilReservationDto,
  ): Promise<ReservationResponse> {
    return toReservationResponse(await this.fulfillments.fulfilReservation(id, dto.quantity));
  }
}
