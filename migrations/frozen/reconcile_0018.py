"""What is left to reconcile, kept per unit and procedure by triggers, as migration 0018 made it:
the triggers, PostgreSQL's functions and the first count, frozen here so that the migration does
the same thing whatever ``utils/reconcile.py`` becomes (``tests/test_frozen_triggers.py`` checks
that the application's are these until a migration replaces them). Never change it: a change to
the triggers is a new migration with its own frozen copy."""

from sqlalchemy import text

DIRECTIONS = (
    ("tiep_nhan", "receive_channel_src", "unlogged_receive"),
    ("tra_ket_qua", "return_channel_src", "unlogged_return"),
)


COLUMNS = ("unlogged_receive", "unlogged_return", "live_receive", "live_return")


def _sqlite_unlogged(row, direction, src):
    return (
        f"({row}.{src} IS 'bcci' AND NOT EXISTS (SELECT 1 FROM shipment "
        f"WHERE shipment.dossier_id = {row}.id AND shipment.direction = '{direction}'))"
    )


_SQLITE_CONFLICT = (
    "ON CONFLICT (unit_id, procedure_id) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in COLUMNS)
    + ";"
)
_INSERT = f"INSERT INTO reconcile_tally (unit_id, procedure_id, {', '.join(COLUMNS)})"


def _sqlite_add(unit, procedure, deltas, where="1"):
    """Add ``deltas`` (SQL for the four ``COLUMNS``) to the row of ``unit`` and ``procedure``
    (an upsert)."""
    return f"{_INSERT} SELECT {unit}, {procedure}, {', '.join(deltas)} WHERE {where} {_SQLITE_CONFLICT}"


def _sqlite_shipment(row, sign, when):
    """The shipment ``row`` (NEW or OLD) counted in (``sign`` 1) or out (-1): live in its
    direction in its own unit unless cancelled; and its dossier out of (or back into) the
    unlogged count of the dossier's unit when its source says post and ``when`` (this is the
    first record, or there is none left). Nothing is written where nothing changes."""
    receive, ret = f"({row}.direction = 'tiep_nhan')", f"({row}.direction = 'tra_ket_qua')"
    src = (
        f"(CASE {row}.direction WHEN 'tiep_nhan' THEN d.receive_channel_src "
        f"ELSE d.return_channel_src END) IS 'bcci'"
    )
    return (
        f"{_INSERT} SELECT d.unit_id, d.procedure_id, {-sign} * {receive}, {-sign} * {ret}, 0, 0 "
        f"FROM dossier d WHERE d.id = {row}.dossier_id AND ({src}) AND ({when}) "
        f"{_SQLITE_CONFLICT} "
        f"{_INSERT} SELECT {row}.unit_id, d.procedure_id, 0, 0, {sign} * {receive}, "
        f"{sign} * {ret} FROM dossier d WHERE d.id = {row}.dossier_id AND NOT {row}.cancelled "
        f"{_SQLITE_CONFLICT}"
    )


def _bcci_any(row):
    return f"({row}.receive_channel_src = 'bcci' OR {row}.return_channel_src = 'bcci')"


SOURCE_CHANGED = (
    "(OLD.procedure_id IS NOT NEW.procedure_id "
    "OR OLD.receive_channel_src IS NOT NEW.receive_channel_src "
    "OR OLD.return_channel_src IS NOT NEW.return_channel_src "
    "OR OLD.unit_id IS NOT NEW.unit_id)"
)


def _sqlite_ddl():
    def unlogged(row, sign):
        return _sqlite_add(
            f"{row}.unit_id",
            f"{row}.procedure_id",
            (
                f"{sign} * {_sqlite_unlogged(row, 'tiep_nhan', 'receive_channel_src')}",
                f"{sign} * {_sqlite_unlogged(row, 'tra_ket_qua', 'return_channel_src')}",
                "0",
                "0",
            ),
        )

    def live(row, sign):
        """The live shipments of the dossier ``row``, in their own units, under its procedure."""
        return (
            f"{_INSERT} SELECT s.unit_id, {row}.procedure_id, 0, 0, "
            f"{sign} * sum(s.direction = 'tiep_nhan'), {sign} * sum(s.direction = 'tra_ket_qua') "
            f"FROM shipment s WHERE s.dossier_id = {row}.id AND NOT s.cancelled "
            f"GROUP BY s.unit_id {_SQLITE_CONFLICT}"
        )

    remaining = (
        "(SELECT count(*) FROM shipment s WHERE s.dossier_id = {row}.dossier_id "
        "AND s.direction = {row}.direction)"
    )
    moved = "(OLD.dossier_id IS NOT NEW.dossier_id OR OLD.direction IS NOT NEW.direction)"
    return [
        f"CREATE TRIGGER reconcile_dossier_insert AFTER INSERT ON dossier "
        f"WHEN {_bcci_any('NEW')} BEGIN {unlogged('NEW', 1)} END",
        f"CREATE TRIGGER reconcile_dossier_delete AFTER DELETE ON dossier "
        f"BEGIN {unlogged('OLD', -1)} {live('OLD', -1)} END",
        f"CREATE TRIGGER reconcile_dossier_update AFTER UPDATE OF procedure_id, "
        f"receive_channel_src, return_channel_src, unit_id ON dossier "
        f"WHEN ({_bcci_any('OLD')} OR {_bcci_any('NEW')}) AND {SOURCE_CHANGED} "
        f"BEGIN {unlogged('OLD', -1)} {unlogged('NEW', 1)} END",
        f"CREATE TRIGGER reconcile_dossier_move AFTER UPDATE OF procedure_id ON dossier "
        f"WHEN OLD.procedure_id IS NOT NEW.procedure_id BEGIN {live('OLD', -1)} {live('NEW', 1)} END",
        # After the row: the dossier's first record in the direction is the only one now.
        f"CREATE TRIGGER reconcile_shipment_insert AFTER INSERT ON shipment BEGIN "
        f"{_sqlite_shipment('NEW', 1, remaining.format(row='NEW') + ' = 1')} END",
        f"CREATE TRIGGER reconcile_shipment_delete AFTER DELETE ON shipment BEGIN "
        f"{_sqlite_shipment('OLD', -1, remaining.format(row='OLD') + ' = 0')} END",
        f"CREATE TRIGGER reconcile_shipment_update AFTER UPDATE OF dossier_id, direction, "
        f"cancelled, unit_id ON shipment WHEN OLD.dossier_id IS NOT NEW.dossier_id "
        f"OR OLD.direction IS NOT NEW.direction OR OLD.cancelled IS NOT NEW.cancelled "
        f"OR OLD.unit_id IS NOT NEW.unit_id BEGIN "
        # A record moved to another dossier or direction: the old one may be left without any.
        f"{_sqlite_shipment('OLD', -1, remaining.format(row='OLD') + ' = 0 AND ' + moved)} "
        f"{_sqlite_shipment('NEW', 1, remaining.format(row='NEW') + ' = 1 AND ' + moved)} END",
    ]


_PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION reconcile_add(p_unit integer, p_procedure integer,
    d_unlogged_receive integer, d_unlogged_return integer, d_live_receive integer,
    d_live_return integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF d_unlogged_receive <> 0 OR d_unlogged_return <> 0 OR d_live_receive <> 0
     OR d_live_return <> 0 THEN
    INSERT INTO reconcile_tally (unit_id, procedure_id, unlogged_receive, unlogged_return,
                                 live_receive, live_return)
    VALUES (p_unit, p_procedure, d_unlogged_receive, d_unlogged_return, d_live_receive,
            d_live_return)
    ON CONFLICT (unit_id, procedure_id) DO UPDATE SET
      unlogged_receive = reconcile_tally.unlogged_receive + excluded.unlogged_receive,
      unlogged_return = reconcile_tally.unlogged_return + excluded.unlogged_return,
      live_receive = reconcile_tally.live_receive + excluded.live_receive,
      live_return = reconcile_tally.live_return + excluded.live_return;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION reconcile_unlogged(p_dossier integer, p_src text, p_direction text)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  IF p_src IS DISTINCT FROM 'bcci' THEN RETURN 0; END IF;
  IF EXISTS (SELECT 1 FROM shipment WHERE dossier_id = p_dossier AND direction = p_direction) THEN
    RETURN 0;
  END IF;
  RETURN 1;
END $$;

CREATE OR REPLACE FUNCTION reconcile_dossier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM reconcile_add(OLD.unit_id, OLD.procedure_id,
      -reconcile_unlogged(OLD.id, OLD.receive_channel_src, 'tiep_nhan'),
      -reconcile_unlogged(OLD.id, OLD.return_channel_src, 'tra_ket_qua'), 0, 0);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM reconcile_add(NEW.unit_id, NEW.procedure_id,
      reconcile_unlogged(NEW.id, NEW.receive_channel_src, 'tiep_nhan'),
      reconcile_unlogged(NEW.id, NEW.return_channel_src, 'tra_ket_qua'), 0, 0);
  END IF;
  RETURN NULL;
END $$;

-- A dossier moved to another procedure, or deleted: its live shipments go with it (each in
-- its own unit).
CREATE OR REPLACE FUNCTION reconcile_dossier_live() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT unit_id, count(*) FILTER (WHERE direction = 'tiep_nhan')::integer AS receive,
                  count(*) FILTER (WHERE direction = 'tra_ket_qua')::integer AS ret
           FROM shipment WHERE dossier_id = OLD.id AND NOT cancelled
           GROUP BY unit_id ORDER BY unit_id LOOP
    PERFORM reconcile_add(r.unit_id, OLD.procedure_id, 0, 0, -r.receive, -r.ret);
  END LOOP;
  IF TG_OP = 'UPDATE' THEN
    FOR r IN SELECT unit_id, count(*) FILTER (WHERE direction = 'tiep_nhan')::integer AS receive,
                    count(*) FILTER (WHERE direction = 'tra_ket_qua')::integer AS ret
             FROM shipment WHERE dossier_id = NEW.id AND NOT cancelled
             GROUP BY unit_id ORDER BY unit_id LOOP
      PERFORM reconcile_add(r.unit_id, NEW.procedure_id, 0, 0, r.receive, r.ret);
    END LOOP;
  END IF;
  RETURN NULL;
END $$;

-- The dossier's unlogged count in its unit, the shipment's live count in the shipment's.
CREATE OR REPLACE FUNCTION reconcile_shipment_delta(p_dossier integer, p_direction text,
    p_unit integer, p_unlogged integer, p_live integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
  SELECT unit_id, procedure_id, receive_channel_src, return_channel_src INTO d
  FROM dossier WHERE id = p_dossier;
  IF NOT FOUND THEN RETURN; END IF;
  IF (CASE p_direction WHEN 'tiep_nhan' THEN d.receive_channel_src
      ELSE d.return_channel_src END) IS DISTINCT FROM 'bcci' THEN
    p_unlogged := 0;
  END IF;
  PERFORM reconcile_add(d.unit_id, d.procedure_id,
    CASE WHEN p_direction = 'tiep_nhan' THEN p_unlogged ELSE 0 END,
    CASE WHEN p_direction = 'tra_ket_qua' THEN p_unlogged ELSE 0 END, 0, 0);
  PERFORM reconcile_add(p_unit, d.procedure_id, 0, 0,
    CASE WHEN p_direction = 'tiep_nhan' THEN p_live ELSE 0 END,
    CASE WHEN p_direction = 'tra_ket_qua' THEN p_live ELSE 0 END);
END $$;

-- Before each row: the rows of the same statement processed earlier are visible, the row
-- itself is not yet changed.
CREATE OR REPLACE FUNCTION reconcile_shipment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  moved boolean := TG_OP <> 'UPDATE' OR OLD.dossier_id IS DISTINCT FROM NEW.dossier_id
                   OR OLD.direction IS DISTINCT FROM NEW.direction;
  back integer := 0;
  gone integer := 0;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF moved AND NOT EXISTS (SELECT 1 FROM shipment WHERE dossier_id = OLD.dossier_id
                             AND direction = OLD.direction AND id <> OLD.id) THEN
      back := 1;
    END IF;
    PERFORM reconcile_shipment_delta(OLD.dossier_id, OLD.direction, OLD.unit_id, back,
                                     CASE WHEN OLD.cancelled THEN 0 ELSE -1 END);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF moved AND NOT EXISTS (SELECT 1 FROM shipment WHERE dossier_id = NEW.dossier_id
                             AND direction = NEW.direction
                             AND (TG_OP = 'INSERT' OR id <> OLD.id)) THEN
      gone := -1;
    END IF;
    PERFORM reconcile_shipment_delta(NEW.dossier_id, NEW.direction, NEW.unit_id, gone,
                                     CASE WHEN NEW.cancelled THEN 0 ELSE 1 END);
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
"""


def _pg_ddl():
    changed = SOURCE_CHANGED.replace(" IS NOT ", " IS DISTINCT FROM ")
    return [
        _PG_FUNCTIONS,
        f"CREATE TRIGGER reconcile_dossier_insert AFTER INSERT ON dossier FOR EACH ROW "
        f"WHEN {_bcci_any('NEW')} EXECUTE FUNCTION reconcile_dossier()",
        f"CREATE TRIGGER reconcile_dossier_delete AFTER DELETE ON dossier FOR EACH ROW "
        f"WHEN {_bcci_any('OLD')} EXECUTE FUNCTION reconcile_dossier()",
        f"CREATE TRIGGER reconcile_dossier_update AFTER UPDATE OF procedure_id, "
        f"receive_channel_src, return_channel_src, unit_id ON dossier FOR EACH ROW "
        f"WHEN (({_bcci_any('OLD')} OR {_bcci_any('NEW')}) AND {changed}) "
        f"EXECUTE FUNCTION reconcile_dossier()",
        "CREATE TRIGGER reconcile_dossier_move AFTER UPDATE OF procedure_id ON dossier FOR EACH ROW "
        "WHEN (OLD.procedure_id IS DISTINCT FROM NEW.procedure_id) "
        "EXECUTE FUNCTION reconcile_dossier_live()",
        "CREATE TRIGGER reconcile_dossier_drop AFTER DELETE ON dossier FOR EACH ROW "
        "EXECUTE FUNCTION reconcile_dossier_live()",
        "CREATE TRIGGER reconcile_shipment_insert BEFORE INSERT OR DELETE ON shipment "
        "FOR EACH ROW EXECUTE FUNCTION reconcile_shipment()",
        "CREATE TRIGGER reconcile_shipment_update BEFORE UPDATE OF dossier_id, direction, "
        "cancelled, unit_id ON shipment FOR EACH ROW "
        "WHEN (OLD.dossier_id IS DISTINCT FROM NEW.dossier_id "
        "OR OLD.direction IS DISTINCT FROM NEW.direction OR OLD.cancelled IS DISTINCT FROM "
        "NEW.cancelled OR OLD.unit_id IS DISTINCT FROM NEW.unit_id) "
        "EXECUTE FUNCTION reconcile_shipment()",
    ]


def trigger_ddl(dialect_name):
    """The statements creating the triggers (and PostgreSQL's functions) on this database."""
    return _pg_ddl() if dialect_name == "postgresql" else _sqlite_ddl()


def create_triggers(connection):
    for statement in trigger_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


def _fill_sql():
    unlogged = (
        "SUM(CASE WHEN {src} = 'bcci' AND NOT EXISTS (SELECT 1 FROM shipment s "
        "WHERE s.dossier_id = dossier.id AND s.direction = '{direction}') THEN 1 ELSE 0 END)"
    )
    live = "SUM(CASE WHEN shipment.direction = '{direction}' THEN 1 ELSE 0 END)"
    return [
        f"""{_INSERT}
        SELECT unit_id, procedure_id,
               {unlogged.format(src="receive_channel_src", direction="tiep_nhan")},
               {unlogged.format(src="return_channel_src", direction="tra_ket_qua")}, 0, 0
        FROM dossier WHERE receive_channel_src = 'bcci' OR return_channel_src = 'bcci'
        GROUP BY unit_id, procedure_id""",
        f"""{_INSERT}
        SELECT shipment.unit_id, dossier.procedure_id, 0, 0, {live.format(direction="tiep_nhan")},
               {live.format(direction="tra_ket_qua")}
        FROM shipment JOIN dossier ON dossier.id = shipment.dossier_id
        WHERE NOT shipment.cancelled GROUP BY shipment.unit_id, dossier.procedure_id
        ON CONFLICT (unit_id, procedure_id) DO UPDATE SET live_receive = excluded.live_receive,
            live_return = excluded.live_return""",
    ]


def fill(connection):
    """Count the existing dossiers and shipments into the (empty) table: the migration's fill."""
    for statement in _fill_sql():
        connection.execute(text(statement))


TRIGGERS = (
    "reconcile_dossier_insert",
    "reconcile_dossier_delete",
    "reconcile_dossier_update",
    "reconcile_dossier_move",
    "reconcile_dossier_drop",
    "reconcile_shipment_insert",
    "reconcile_shipment_update",
    "reconcile_shipment_delete",
)
PG_FUNCTIONS = (
    "reconcile_shipment()",
    "reconcile_shipment_delta(integer, text, integer, integer, integer)",
    "reconcile_dossier()",
    "reconcile_dossier_live()",
    "reconcile_unlogged(integer, text, text)",
    "reconcile_add(integer, integer, integer, integer, integer, integer)",
)


def drop_triggers(connection):
    """The triggers and PostgreSQL's functions dropped."""
    postgres = connection.dialect.name == "postgresql"
    for name in TRIGGERS:
        table = "dossier" if "dossier" in name else "shipment"
        on = f" ON {table}" if postgres else ""
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}{on}")
    if postgres:
        for fn in PG_FUNCTIONS:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {fn}")
