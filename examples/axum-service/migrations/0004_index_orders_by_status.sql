-- driftless: no-transaction

-- Built without blocking writes to orders. CONCURRENTLY cannot run inside a transaction, so this
-- migration runs on its own, as its one statement.
CREATE INDEX CONCURRENTLY orders_status_created_at_idx ON orders (status, created_at);
