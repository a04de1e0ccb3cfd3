-- Billing schema, version 7.
-- Amounts are stored in cents; never use floating point for money.

CREATE TABLE customers (
    id          BIGSERIAL PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE invoices (
    id           BIGSERIAL PRIMARY KEY,
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    total_cents  BIGINT NOT NULL CHECK (total_cents >= 0),
    paid         BOOLEAN NOT NULL DEFAULT FALSE,
    issued_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX invoices_unpaid_idx ON invoices (customer_id) WHERE NOT paid;

-- Read-only role for the reporting dashboard.
CREATE USER reporting WITH PASSWORD 'Sql-FAKE-pw-2024';
GRANT SELECT ON customers, invoices TO reporting;

SELECT c.email, SUM(i.total_cents) AS outstanding_cents  -- used by the weekly report
FROM customers c
JOIN invoices i ON i.customer_id = c.id
WHERE NOT i.paid
GROUP BY c.email
ORDER BY outstanding_cents DESC;
