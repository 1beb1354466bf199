-- ppscale node registry in PostgreSQL: schema version 2.
--
-- The same nodes and game servers as the registry file (DESIGN section 3,
-- ppscale-registry(5)), as rows. The platform writes containers, players
-- and a node's readiness in its own transactions; ppscale inserts nodes
-- (status 'provisioning'), records their server id and address, marks
-- them 'draining' and deletes them, each in a transaction that locks the
-- rows it changes (SELECT ... FOR UPDATE), so that the check "no game
-- server is recorded on this node" and the node's removal hold together
-- against a concurrent placement.
--
-- Apply with: psql -v ON_ERROR_STOP=1 -f registry.sql DBNAME
-- It is idempotent and it migrates: applying it to a database that
-- already has this version changes nothing; applied to one with an
-- older version it adds what the newer one has and raises the version
-- (each block below runs only when ppscale_schema.version is lower).
-- The tools refuse a database whose version is not theirs and say
-- which to apply.
--
-- Version 1: the registry (nodes, game servers).
-- Version 2: the control state two control hosts share (ppscale-
-- registry(5), "Two control hosts"): pp-decide's memory, refusals and
-- counters (ppscale_state), the history (ppscale_history) and the
-- events (ppscale_events), per pool.

BEGIN;

CREATE TABLE IF NOT EXISTS ppscale_schema (
	version    integer NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);
-- one row only
CREATE UNIQUE INDEX IF NOT EXISTS ppscale_schema_one
	ON ppscale_schema ((true));
INSERT INTO ppscale_schema (version) SELECT 1
	WHERE NOT EXISTS (SELECT 1 FROM ppscale_schema);

CREATE TABLE IF NOT EXISTS ppscale_nodes (
	id              text PRIMARY KEY
	                CHECK (id ~ '^[A-Za-z0-9._][A-Za-z0-9._-]{0,127}$'),
	pool            text NOT NULL DEFAULT 'default',
	kind            text NOT NULL CHECK (kind IN ('dedicated', 'cloud')),
	status          text NOT NULL CHECK (status IN
	                ('provisioning', 'ready', 'draining', 'unhealthy')),
	role            text NOT NULL DEFAULT 'worker'
	                CHECK (role IN ('worker', 'spare')),
	total_ram_mb    bigint NOT NULL CHECK (total_ram_mb >= 0),
	reserved_ram_mb bigint NOT NULL DEFAULT 0
	                CHECK (reserved_ram_mb >= 0),
	ip              inet,
	location        text,
	labels          jsonb NOT NULL DEFAULT '{}'::jsonb,
	-- the cloud part; all NULL for a dedicated machine
	provider        text,
	server_id       text,
	server_name     text,
	server_type     text,
	hourly_cost_eur numeric(12, 6),
	created_at      timestamptz,
	-- fields this version does not know, kept as they came
	extra           jsonb NOT NULL DEFAULT '{}'::jsonb,
	updated_at      timestamptz NOT NULL DEFAULT now(),
	CHECK (kind = 'cloud' OR (provider IS NULL AND server_id IS NULL)),
	CHECK (reserved_ram_mb <= total_ram_mb)
);
CREATE UNIQUE INDEX IF NOT EXISTS ppscale_nodes_server
	ON ppscale_nodes (provider, server_id) WHERE server_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS ppscale_containers (
	id       text NOT NULL
	         CHECK (id ~ '^[A-Za-z0-9._][A-Za-z0-9._-]{0,127}$'),
	-- a node with game servers recorded on it cannot be deleted
	node_id  text NOT NULL REFERENCES ppscale_nodes (id)
	         ON DELETE RESTRICT ON UPDATE CASCADE,
	ram_mb   bigint NOT NULL CHECK (ram_mb >= 0),
	state    text NOT NULL CHECK (state IN
	         ('starting', 'running', 'stopping', 'stopped')),
	players  integer NOT NULL DEFAULT 0 CHECK (players >= 0),
	extra    jsonb NOT NULL DEFAULT '{}'::jsonb,
	PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ppscale_containers_node
	ON ppscale_containers (node_id);

-- version 2: nodes and game servers keep the order they were added in
-- (the file's order, which ppscale's tie-breaks follow)
ALTER TABLE ppscale_nodes ADD COLUMN IF NOT EXISTS seq bigserial;
ALTER TABLE ppscale_containers ADD COLUMN IF NOT EXISTS seq bigserial;

-- version 2: the control state, one row of sections per pool (what
-- the state file state.json holds on one host)
CREATE TABLE IF NOT EXISTS ppscale_state (
	pool       text PRIMARY KEY,
	body       jsonb NOT NULL DEFAULT '{}'::jsonb,
	updated_at timestamptz NOT NULL DEFAULT now()
);
-- the fleet samples of pp-fleetstats, one a minute at most
CREATE TABLE IF NOT EXISTS ppscale_history (
	pool         text NOT NULL,
	at           timestamptz NOT NULL,
	allocated_mb bigint NOT NULL,
	total_mb     bigint NOT NULL,
	pending_mb   bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (pool, at)
);
-- the events, in the order they were written
CREATE TABLE IF NOT EXISTS ppscale_events (
	seq   bigserial PRIMARY KEY,
	pool  text NOT NULL,
	at    timestamptz NOT NULL DEFAULT now(),
	event jsonb NOT NULL
);
UPDATE ppscale_schema SET version = 2, applied_at = now()
	WHERE version < 2;

COMMIT;
