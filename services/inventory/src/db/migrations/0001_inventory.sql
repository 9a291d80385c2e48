-- Inventory: the product catalog with its stock, and one reservation per order.
--
-- Stock conservation, enforced by the database rather than trusted to the code: every unit a product
-- holds is in exactly one of available, reserved or sold, and their sum is total_units. Reservations,
-- commits and releases only move units between the three buckets (total_units unchanged); the only way
-- units enter or leave is PUT /inventory/{sku}, which changes available and total_units by the same
-- amount. A bug that created or lost a unit fails the statement (CHECK) instead of corrupting stock.
CREATE TABLE products (
  sku text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$' AND length(sku) <= 64),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Price of one unit in the currency's minor unit (cents for EUR); never a float.
  unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  available integer NOT NULL CHECK (available >= 0),
  reserved integer NOT NULL CHECK (reserved >= 0),
  sold integer NOT NULL CHECK (sold >= 0),
  total_units bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT products_stock_conserved CHECK (available::bigint + reserved + sold = total_units)
);

-- One row per order id: the idempotency key of the reservation. Whatever OrderPlaced event arrives
-- for an order that already has a row (a redelivery with a new event id, a second OrderPlaced) finds
-- it and changes nothing.
--   RESERVED  every line's units moved available -> reserved
--   COMMITTED the units moved reserved -> sold (the order was paid)
--   RELEASED  the units went back to available; also written, with no lines, when a release arrives
--             for an order never reserved, so a late OrderPlaced cannot reserve stock nobody will free
--   FAILED    nothing was reserved; the lines say why
-- States only move forward: RESERVED -> COMMITTED -> RELEASED, RESERVED -> RELEASED; FAILED is final.
CREATE TABLE reservations (
  order_id uuid PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('RESERVED', 'COMMITTED', 'RELEASED', 'FAILED')),
  -- The quoted total (sum of quantity x unit price); absent for FAILED and for release tombstones.
  total_minor bigint CHECK (total_minor >= 0),
  currency text CHECK (currency ~ '^[A-Z]{3}$'),
  -- The event that created the row (OrderPlaced, or ReleaseReservation for a tombstone), for tracing.
  created_by_event_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  committed_at timestamptz,
  released_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT reservations_total_complete CHECK ((total_minor IS NULL) = (currency IS NULL)),
  CONSTRAINT reservations_failed_has_no_total CHECK (status <> 'FAILED' OR total_minor IS NULL)
);

-- The order's lines as requested. For a reservation that held stock every line has its quoted unit
-- price; for a FAILED one, failing lines carry their reason (and the units available at the attempt),
-- and lines that were available carry neither. No foreign key to products: an UNKNOWN_SKU line names a
-- product that does not exist.
CREATE TABLE reservation_lines (
  order_id uuid NOT NULL REFERENCES reservations (order_id),
  line_no smallint NOT NULL CHECK (line_no >= 0),
  sku text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price_minor bigint CHECK (unit_price_minor >= 0),
  currency text CHECK (currency ~ '^[A-Z]{3}$'),
  failure_reason text CHECK (failure_reason IN ('UNKNOWN_SKU', 'INSUFFICIENT_STOCK')),
  available_at_attempt integer CHECK (available_at_attempt >= 0),
  PRIMARY KEY (order_id, line_no),
  CONSTRAINT reservation_lines_sku_once UNIQUE (order_id, sku),
  CONSTRAINT reservation_lines_price_complete CHECK ((unit_price_minor IS NULL) = (currency IS NULL)),
  CONSTRAINT reservation_lines_priced_or_failed CHECK (unit_price_minor IS NULL OR failure_reason IS NULL),
  CONSTRAINT reservation_lines_available_only_if_insufficient
    CHECK (available_at_attempt IS NULL OR failure_reason = 'INSUFFICIENT_STOCK')
);
