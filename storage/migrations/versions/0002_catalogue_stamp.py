"""the catalogue stamp: a number every write to the catalogue tables changes (storage.catalogue)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:05:00
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# what a turn may keep between turns (storage.catalogue); written by imports, the CLI and admin commands
TABLES = ("org_unit", "goal", "indicator", "indicator_target", "budget_line")
OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        'catalogue_stamp',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('stamp', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_stamp')),
    )
    # random, not counted: a database made again (or restored) never repeats a stamp a process has seen
    op.execute(f"INSERT INTO catalogue_stamp (id, stamp) VALUES (1, {secrets.randbits(62)})")
    if op.get_bind().dialect.name == "postgresql":
        # once per statement, in the writing transaction (a rolled-back write leaves the stamp as it was)
        op.execute("""
            CREATE FUNCTION catalogue_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE catalogue_stamp SET stamp = floor(random() * 9.0e18 - 4.5e18)::bigint WHERE id = 1;
                RETURN NULL;
            END $$""")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER catalogue_stamp_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE PROCEDURE catalogue_stamp_change()")
    else:  # SQLite: triggers are per row
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f"CREATE TRIGGER catalogue_stamp_{table}_{operation.lower()} AFTER {operation} ON {table} "
                           f"BEGIN UPDATE catalogue_stamp SET stamp = random() WHERE id = 1; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS catalogue_stamp_change ON {table}")
        op.execute("DROP FUNCTION IF EXISTS catalogue_stamp_change()")
    else:
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS catalogue_stamp_{table}_{operation.lower()}")
    op.drop_table('catalogue_stamp')
