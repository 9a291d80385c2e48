/** Maps repository records to the HTTP response shapes. */
import type { Product } from '../db/product-repository.ts';
import type { Reservation } from '../db/reservation-repository.ts';
import type { ProductView, ReservationView } from './schemas.ts';

export function productView(product: Product): ProductView {
  return {
    sku: product.sku,
    name: product.name,
    unitPrice: { ...product.unitPrice },
    available: product.available,
    reserved: product.reserved,
    sold: product.sold,
    totalUnits: product.totalUnits,
    createdAt: product.createdAt.toISOString(),
    updatedAt: product.updatedAt.toISOString(),
  };
}

export function reservationView(reservation: Reservation): ReservationView {
  return {
    orderId: reservation.orderId,
    status: reservation.status,
    lines: reservation.lines.map((line) => ({ ...line })),
    ...(reservation.total === undefined ? {} : { total: { ...reservation.total } }),
    createdAt: reservation.createdAt.toISOString(),
    ...(reservation.committedAt === undefined ? {} : { committedAt: reservation.committedAt.toISOString() }),
    ...(reservation.releasedAt === undefined ? {} : { releasedAt: reservation.releasedAt.toISOString() }),
    updatedAt: reservation.updatedAt.toISOString(),
  };
}
