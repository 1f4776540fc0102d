import { Injectable } from '@nestjs/common';
import { FilterQuery, LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, Page, PageQueryDto, toPage } from '../common/pagination';
import { OrderNote } from './order-note.entity';
import { MayReadFromReplica } from '../database/read-replicas';

type OrderBy = Record<string, 'asc' | 'desc'>[];
type PageQuery = Pick<PageQueryDto, 'page' | 'pageSize'>;

/** order_notes: written as entities, through the unit of work's flush (and only so). */
@Injectable()
export class NotesRepository {
  constructor(private readonly em: EntityManager) {}

  /** Stores a new note at once, so that rows referring to it (its notification) can follow. */
  async add(note: OrderNote): Promise<void> {
    await this.em.persist(note).flush();
  }

  remove(note: OrderNote): void {
    this.em.remove(note);
  }

  findById(id: string): Promise<OrderNote | null> {
    return this.em.findOne(OrderNote, { id }, { populate: ['createdBy'] });
  }

  /** The note, row-locked for the rest of the transaction so concurrent edits serialise. */
  async lock(id: string): Promise<OrderNote | null> {
    const note = await this.em.findOne(OrderNote, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (note) await this.em.populate(note, ['createdBy']);
    return note;
  }

  @MayReadFromReplica()
  async pageOfOrder(
    orderId: string,
    filter: { isInternal?: boolean },
    orderBy: OrderBy,
    query: PageQuery,
  ): Promise<Page<OrderNote>> {
    const where: FilterQuery<OrderNote> = { order: orderId };
    if (filter.isInternal !== undefined) where.isInternal = filter.isInternal;
    const [notes, total] = await this.em.findAndCount(OrderNote, where, {
      populate: ['createdBy'],
      orderBy: [...orderBy, { id: 'desc' }],
      limit: query.pageSize,
      offset: offsetOf(query),
    });
    return toPage(notes, total, query);
  }

  /** Public notes of the order, scoped by its customer too, newest first. */
  @MayReadFromReplica()
  async publicPageOfCustomerOrder(
    orderId: string,
    customerId: string,
    query: PageQuery,
  ): Promise<Page<OrderNote>> {
    const [notes, total] = await this.em.findAndCount(
      OrderNote,
      { order: { id: orderId, customer: customerId }, isInternal: false },
      { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: query.pageSize, offset: offsetOf(query) },
    );
    return toPage(notes, total, query);
  }

  /** Public notes that asked to notify the customer and have not reached them yet, oldest first. */
  pendingNotification(options: { orderId?: string; limit: number }): Promise<OrderNote[]> {
    const where: FilterQuery<OrderNote> = { isInternal: false, notifyCustomer: true, notifiedAt: null };
    if (options.orderId) where.order = options.orderId;
    return this.em.find(OrderNote, where, {
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      limit: options.limit,
    });
  }

  /** Stamps when the note's notification reached the customer (flushed with the caller's unit of work). */
  async markNotified(noteId: string): Promise<void> {
    const note = await this.em.findOne(OrderNote, { id: noteId });
    if (note) note.notifiedAt = new Date();
  }
}
