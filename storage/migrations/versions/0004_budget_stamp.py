"""the budget stamp: a third row of catalogue_stamp that every write to the budget's figures changes — utfall,
profiles, prognoses, the stored aggregates, import batches (the demo mark) and people (a prognosis shows who
entered it) — so a budget card's figures can be kept between turns (storage.catalogue)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 15:30:00
"""

import secrets

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

BUDGET_ROW = 3  # catalogue_stamp's row for the budget's figures (1: the catalogue's, 2: the values')
TABLES = ("utfall", "budget_profile", "budget_prognosis", "budget_status", "import_batch", "person")
OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.execute(f"INSERT INTO catalogue_stamp (id, stamp) VALUES ({BUDGET_ROW}, {secrets.randbits(62)})")
    if op.get_bind().dialect.name == "postgresql":
        # once per statement, in the writing transaction; a row of its own, so budget writers wait neither for
        # catalogue nor for value writers
        op.execute(f"""
            CREATE FUNCTION budget_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE catalogue_stamp SET stamp = floor(random() * 9.0e18 - 4.5e18)::bigint WHERE id = {BUDGET_ROW};
                RETURN NULL;
            END $$""")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER budget_stamp_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE PROCEDURE budget_stamp_change()")
    else:  # SQLite: triggers are per row
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f"CREATE TRIGGER budget_stamp_{table}_{operation.lower()} AFTER {operation} ON {table} "
                           f"BEGIN UPDATE catalogue_stamp SET stamp = random() WHERE id = {BUDGET_ROW}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS budget_stamp_change ON {table}")
        op.execute("DROP FUNCTION IF EXISTS budget_stamp_change()")
    else:
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS budget_stamp_{table}_{operation.lower()}")
    op.execute(f"DELETE FROM catalogue_stamp WHERE id = {BUDGET_ROW}")
