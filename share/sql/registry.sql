-- ppscale node registry in PostgreSQL: schema version 3.
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
-- (without ON_ERROR_STOP psql goes on past an error and exits 0; the
-- transaction still rolls back as a whole, but only the message says so)
-- It is idempotent and it migrates: applying it to a database that
-- already has this version changes nothing; applied to one with an
-- older version it adds what the newer one has and raises the version
-- (each block below adds only what is missing; the version is raised
-- last, in the same transaction).
-- The tools refuse a database whose version is not theirs and say
-- which to apply.
--
-- Version 1: the registry (nodes, game servers).
-- Version 2: the control state two control hosts share (ppscale-
-- registry(5), "Two control hosts"): pp-decide's memory, refusals and
-- counters (ppscale_state), the history (ppscale_history) and the
-- events (ppscale_events), per pool.
-- Version 3: the ranges the registry reader holds every row to, as
-- CHECK constraints (RAM at most 1 PB, players 0 to 1000000, an hourly
-- cost of 0 to 1000000 EUR, the schema version at least 1), so that a
-- platform's INSERT or UPDATE of a value ppscale would refuse fails
-- there, instead of every reader failing later. A database that holds
-- such a row already is not migrated: the file stops with an error that
-- names the rows (table, column, id, value; the first ten of each
-- column and a count of the rest), and the one transaction it
-- runs in rolls back, so nothing of it is applied and the schema keeps
-- its version. Correct the rows and apply the file again.

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

-- version 3: the ranges lib/store/registry_index.c reads a row in
-- (PP_RAM_MAX_MB, PP_PLAYERS_MAX, PP_PRICE_MAX_EUR) as named CHECKs.
-- Each is added with a plain ADD CONSTRAINT, which checks the rows that
-- are there in this same transaction: NOT VALID and a later VALIDATE
-- only pay off in separate transactions (to hold a weaker lock during
-- the scan of a big table), and these tables are one row per node and
-- per game server; in one transaction the lock is the same, and a
-- constraint left NOT VALID would be a schema version 3 that does not
-- hold what it says. The rows are locked first, so none breaking a
-- range can be written between the look below and the ADD CONSTRAINT,
-- and the look names every row that breaks one (the server's own
-- message would name the constraint only).
DO $v3$
DECLARE
	c record;
	n bigint;
	list text;
	found text := '';
	cols text;
	total bigint := 0;
	was integer;
BEGIN
	-- (the ALTER TABLEs of version 2 above hold this lock already)
	LOCK TABLE ppscale_nodes, ppscale_containers IN ACCESS EXCLUSIVE MODE;
	FOR c IN SELECT * FROM (VALUES
	    ('ppscale_nodes', 'ppscale_nodes_total_ram_range',
	     'total_ram_mb', 'total_ram_mb BETWEEN 0 AND 1073741824',
	     'an integer from 0 to 1073741824 (MB, 1 PB)'),
	    ('ppscale_nodes', 'ppscale_nodes_reserved_ram_range',
	     'reserved_ram_mb', 'reserved_ram_mb BETWEEN 0 AND 1073741824',
	     'an integer from 0 to 1073741824 (MB, 1 PB)'),
	    ('ppscale_nodes', 'ppscale_nodes_hourly_cost_range',
	     'hourly_cost_eur', 'hourly_cost_eur BETWEEN 0 AND 1000000',
	     'from 0 to 1000000 (EUR), or NULL'),
	    ('ppscale_containers', 'ppscale_containers_ram_range',
	     'ram_mb', 'ram_mb BETWEEN 0 AND 1073741824',
	     'an integer from 0 to 1073741824 (MB, 1 PB)'),
	    ('ppscale_containers', 'ppscale_containers_players_range',
	     'players', 'players BETWEEN 0 AND 1000000',
	     'an integer from 0 to 1000000'),
	    ('ppscale_schema', 'ppscale_schema_version_range',
	     'version', 'version >= 1', 'at least 1'))
	    AS t (tab, name, col, expr, what)
	LOOP
		CONTINUE WHEN EXISTS (SELECT 1 FROM pg_constraint
			WHERE conrelid = c.tab::regclass AND conname = c.name);
		IF c.tab = 'ppscale_schema' THEN
			EXECUTE format('SELECT count(*), string_agg(format('
				'''version %%s'', version), '', '') FROM %I '
				'WHERE NOT (%s)', c.tab, c.expr) INTO n, list;
		ELSE
			-- the first ten, in the order they were added in
			EXECUTE format('SELECT (SELECT count(*) FROM %1$I '
				'WHERE NOT (%2$s)), (SELECT string_agg(format('
				'''id ''''%%s'''' (%%s)'', id, %3$I), '', '' '
				'ORDER BY seq) FROM (SELECT id, %3$I, seq FROM '
				'%1$I WHERE NOT (%2$s) ORDER BY seq LIMIT 10) b)',
				c.tab, c.expr, c.col) INTO n, list;
		END IF;
		IF n > 0 THEN
			found := found || format(E'\n%s.%s must be %s: %s%s',
				c.tab, c.col, c.what, list,
				CASE WHEN n > 10 THEN format(' and %s more',
				n - 10) ELSE '' END);
			cols := concat_ws(', ', cols, c.tab || '.' || c.col);
			total := total + n;
		ELSE
			EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I '
				'CHECK (%s)', c.tab, c.name, c.expr);
		END IF;
	END LOOP;
	IF total > 0 THEN
		SELECT version INTO was FROM ppscale_schema;
		RAISE EXCEPTION 'registry.sql: cannot migrate to schema '
			'version 3: % row(s) hold values ppscale refuses (%); '
			'nothing was changed, the schema stays at version %',
			total, cols, was
			USING DETAIL = 'the rows:' || found,
			HINT = 'correct each row named (the platform''s '
			'UPDATE, or remove it), then apply registry.sql again';
	END IF;
END
$v3$;

UPDATE ppscale_schema SET version = 3, applied_at = now()
	WHERE version < 3;

COMMIT;
