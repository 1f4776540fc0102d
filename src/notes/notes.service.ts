import { Injectable } from '@nestjs/common';
import type { Actor } from '../common/decorators';
import { NotFoundError } from '../common/errors';
import { Page, PageQueryDto, parseSort } from '../common/pagination';
import { OrderHistoryService } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { OrdersService } from '../orders/orders.service';
import { UsersService } from '../identity/users.service';
import { OrderNote } from './order-note.entity';
import { NotesRepository } from './notes.repository';
import { NotificationsService } from './notifications.service';
import { assertMayModifyNote, assertNoteVisibility } from './note-rules';
import { CreateNoteDto, ListNotesQueryDto, UpdateNoteDto } from './dto/note.dto';

const SORTABLE = { createdAt: 'createdAt', updatedAt: 'updatedAt' };
const DEFAULT_PAGE = { page: 1, pageSize: 20 };

/** The fields an edit can change; history keeps them before and after. */
interface NoteSnapshot {
  note: string;
  isInternal: boolean;
  notifyCustomer: boolean;
}

function snapshotOf(note: OrderNote): NoteSnapshot {
  return { note: note.note, isInternal: note.isInternal, notifyCustomer: note.notifyCustomer };
}

function kindOf(note: NoteSnapshot): string {
  return note.isInternal ? 'Internal' : 'Public';
}

/**
 * Order notes: staff write internal or public notes, customers read the public notes of their own
 * orders. Every write records its history entry in the same transaction; a public note that
 * notifies the customer queues an outbox row in that transaction too.
 */
@Injectable()
export class NotesService {
  constructor(
    private readonly repository: NotesRepository,
    private readonly orders: OrdersService,
    private readonly users: UsersService,
    private readonly history: OrderHistoryService,
    private readonly notifications: NotificationsService,
  ) {}

  async create(orderId: string, dto: CreateNoteDto, actor: Actor): Promise<OrderNote> {
    const visibility = { isInternal: dto.isInternal ?? true, notifyCustomer: dto.notifyCustomer ?? false };
    assertNoteVisibility(visibility, actor.role);
    // The order lock first: the note's row references the order (a key-share lock on its row), and
    // the history entry then locks the order row for update; two notes of one order taking them in
    // the other order would deadlock (docs/data-access.md, lock order).
    const order = await this.orders.lock(orderId);
    const author = await this.users.get(actor.id);
    const note = new OrderNote(
      this.orders.reference(order.id),
      dto.note,
      author,
      visibility.isInternal,
      visibility.notifyCustomer,
    );
    await this.repository.add(note);
    // No note text here: the entry describes that a note exists, the note itself holds the text.
    await this.history.record({
      order,
      action: OrderHistoryAction.NOTE_ADDED,
      description: `${kindOf(note)} note added${note.notifyCustomer ? ', customer to be notified' : ''}`,
      additionalData: { noteId: note.id, ...visibility },
    });
    if (note.notifyCustomer) {
      await this.notifications.enqueueForNote(note, order, await this.users.get(order.customerId));
    }
    return note;
  }

  async get(id: string): Promise<OrderNote> {
    const note = await this.repository.findById(id);
    if (!note) throw new NotFoundError('Note', id);
    return note;
  }

  /** Staff list of an order's notes, newest first unless sorted otherwise. */
  async byOrder(orderId: string, query: ListNotesQueryDto): Promise<Page<OrderNote>> {
    await this.orders.get(orderId);
    return this.repository.pageOfOrder(
      orderId,
      { isInternal: query.isInternal },
      parseSort(query.sort, SORTABLE, '-createdAt'),
      query,
    );
  }

  /**
   * The public notes of `customerId`'s own order, newest first. Another customer's order (or none)
   * is a NotFoundError, never an empty list; the note query itself is scoped by the order's
   * customer as well.
   */
  async customerVisible(
    orderId: string,
    customerId: string,
    query: Pick<PageQueryDto, 'page' | 'pageSize'> = DEFAULT_PAGE,
  ): Promise<Page<OrderNote>> {
    await this.orders.getForCustomer(orderId, customerId);
    return this.repository.publicPageOfCustomerOrder(orderId, customerId, query);
  }

  /** Text and visibility, by the author or an admin; history keeps the before and after. */
  async update(id: string, dto: UpdateNoteDto, actor: Actor): Promise<OrderNote> {
    const note = await this.lock(id);
    assertMayModifyNote(note.createdBy.id, actor);
    const before = snapshotOf(note);
    const after: NoteSnapshot = {
      note: dto.note ?? before.note,
      isInternal: dto.isInternal ?? before.isInternal,
      notifyCustomer: dto.notifyCustomer ?? before.notifyCustomer,
    };
    assertNoteVisibility(after, actor.role);
    const changed = (Object.keys(after) as (keyof NoteSnapshot)[]).filter((k) => after[k] !== before[k]);
    if (changed.length === 0) return note;

    Object.assign(note, after);
    await this.history.record({
      order: note.order.id,
      action: OrderHistoryAction.EDITED,
      description: `${kindOf(before)} note edited (${changed.join(', ')})`,
      additionalData: { noteId: note.id, before, after },
    });

    if (before.notifyCustomer && !after.notifyCustomer) {
      await this.notifications.cancelUndelivered(note.id);
    } else if (!before.notifyCustomer && after.notifyCustomer) {
      const order = await this.orders.get(note.order.id);
      await this.notifications.enqueueForNote(note, order, await this.users.get(order.customer.id));
    } else if (after.notifyCustomer && after.note !== before.note) {
      await this.notifications.refreshUndelivered(note.id, after.note);
    }
    return note;
  }

  /** By the author or an admin; history keeps the deleted text, undelivered notifications go. */
  async delete(id: string, actor: Actor): Promise<void> {
    const note = await this.lock(id);
    assertMayModifyNote(note.createdBy.id, actor);
    const before = snapshotOf(note);
    await this.history.record({
      order: note.order.id,
      action: OrderHistoryAction.EDITED,
      description: `${kindOf(before)} note deleted`,
      additionalData: { noteId: note.id, deleted: true, before },
    });
    await this.notifications.cancelUndelivered(note.id);
    this.repository.remove(note);
  }

  /** Public notes that asked to notify the customer and have not reached them yet, oldest first. */
  pendingNotifications(options: { orderId?: string; limit?: number } = {}): Promise<OrderNote[]> {
    return this.repository.pendingNotification({ orderId: options.orderId, limit: options.limit ?? 100 });
  }

  /** The note, row-locked for the rest of the transaction so concurrent edits serialise. */
  private async lock(id: string): Promise<OrderNote> {
    const note = await this.repository.lock(id);
    if (!note) throw new NotFoundError('Note', id);
    return note;
  }
}
