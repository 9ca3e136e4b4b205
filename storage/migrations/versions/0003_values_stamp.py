"""the values stamp: a second row of catalogue_stamp that every write to indicator values (or people, whose
names they show) changes (storage.catalogue)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 13:30:00
"""

import secrets

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

VALUES_ROW = 2  # catalogue_stamp's row for the values (row 1: the catalogue's)
TABLES = ("indicator_value", "person")  # a value, and the name of the person who recorded it
OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.execute(f"INSERT INTO catalogue_stamp (id, stamp) VALUES ({VALUES_ROW}, {secrets.randbits(62)})")
    if op.get_bind().dialect.name == "postgresql":
        # once per statement, in the writing transaction; a row of its own, so value writers and catalogue
        # writers do not wait for each other
        op.execute(f"""
            CREATE FUNCTION values_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE catalogue_stamp SET stamp = floor(random() * 9.0e18 - 4.5e18)::bigint WHERE id = {VALUES_ROW};
                RETURN NULL;
            END $$""")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER values_stamp_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE PROCEDURE values_stamp_change()")
    else:  # SQLite: triggers are per row
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f"CREATE TRIGGER values_stamp_{table}_{operation.lower()} AFTER {operation} ON {table} "
                           f"BEGIN UPDATE catalogue_stamp SET stamp = random() WHERE id = {VALUES_ROW}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS values_stamp_change ON {table}")
        op.execute("DROP FUNCTION IF EXISTS values_stamp_change()")
    else:
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS values_stamp_{table}_{operation.lower()}")
    op.execute(f"DELETE FROM catalogue_stamp WHERE id = {VALUES_ROW}")
