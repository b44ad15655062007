"""The procedures' guard on PostgreSQL (a trigger refusing to delete or renumber a procedure that
still has dossiers), as migration 0016 made it, frozen here so that the migration does the same
thing whatever ``utils/triggers.py`` becomes (``tests/test_frozen_triggers.py`` checks that the
application's guard is this one until a migration replaces it). Never change it: a change to the
guard is a new migration with its own frozen copy."""

PROCEDURE_GUARD = "procedure_keep_dossiers"


def procedure_guard_ddl():
    """The PostgreSQL statements that create the guard (function and trigger)."""
    return [
        f"""CREATE OR REPLACE FUNCTION {PROCEDURE_GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM dossier WHERE procedure_id = OLD.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = 'procedure ' || OLD.id || ' still has dossiers';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$""",
        f"CREATE TRIGGER {PROCEDURE_GUARD} BEFORE DELETE OR UPDATE OF id ON procedure "
        f"FOR EACH ROW EXECUTE FUNCTION {PROCEDURE_GUARD}()",
    ]
