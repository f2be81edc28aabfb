-- Retail domain: customers (crm) and their orders (sales), as exported from PostgreSQL.
CREATE SCHEMA crm;
CREATE SCHEMA sales;

CREATE TABLE crm.customers (
    customer_id bigint PRIMARY KEY,
    email varchar(255) UNIQUE,
    phone varchar(32),
    full_name varchar(200),
    birth_date date,
    created_at timestamptz
);
COMMENT ON TABLE crm.customers IS 'People who buy from us';
COMMENT ON COLUMN crm.customers.customer_id IS 'Surrogate key';
COMMENT ON COLUMN crm.customers.email IS 'Login and contact email';
COMMENT ON COLUMN crm.customers.phone IS 'Mobile phone number';
COMMENT ON COLUMN crm.customers.full_name IS 'Name as given by the customer';
COMMENT ON COLUMN crm.customers.birth_date IS 'Date of birth';
COMMENT ON COLUMN crm.customers.created_at IS 'When the customer signed up';

CREATE TABLE crm.addresses (
    address_id bigint PRIMARY KEY,
    customer_id bigint,
    street_address varchar(200),
    city varchar(100),
    postal_code varchar(20),
    country_code char(2)
);
COMMENT ON TABLE crm.addresses IS 'Postal addresses of customers';
COMMENT ON COLUMN crm.addresses.street_address IS 'Street and house number';
COMMENT ON COLUMN crm.addresses.country_code IS 'ISO 3166-1 alpha-2';

CREATE TABLE sales.products (
    product_id bigint PRIMARY KEY,
    sku varchar(64) UNIQUE,
    product_name varchar(200),
    unit_price numeric(10, 2)
);
COMMENT ON TABLE sales.products IS 'What we sell';
COMMENT ON COLUMN sales.products.sku IS 'Stock keeping unit';
COMMENT ON COLUMN sales.products.unit_price IS 'List price in EUR';

CREATE TABLE sales.orders (
    order_id bigint PRIMARY KEY,
    customer_id bigint REFERENCES crm.customers (customer_id),
    order_date date,
    status varchar(20),
    total_amount numeric(12, 2),
    ip_address varchar(45),
    created_at timestamptz
);
COMMENT ON TABLE sales.orders IS 'One row per order';
COMMENT ON COLUMN sales.orders.status IS 'placed, shipped, delivered or returned';
COMMENT ON COLUMN sales.orders.total_amount IS 'Order total in EUR';
COMMENT ON COLUMN sales.orders.ip_address IS 'Address the order was placed from';

CREATE TABLE sales.order_items (
    order_id bigint,
    line_number integer,
    product_id bigint,
    quantity integer,
    unit_price numeric(10, 2),
    PRIMARY KEY (order_id, line_number)
);
COMMENT ON TABLE sales.order_items IS 'Lines of an order';
COMMENT ON COLUMN sales.order_items.unit_price IS 'Price paid per unit in EUR';

ALTER TABLE crm.addresses
    ADD FOREIGN KEY (customer_id) REFERENCES crm.customers (customer_id);
ALTER TABLE sales.order_items
    ADD FOREIGN KEY (order_id) REFERENCES sales.orders (order_id);
ALTER TABLE sales.order_items
    ADD FOREIGN KEY (product_id) REFERENCES sales.products (product_id);
