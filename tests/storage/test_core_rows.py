"""Reads of bundles and columns (``storage.rows.as_row``) in a read session run as Core statements, without
the ORM's per-row work, and come back as the ORM gives them: a bundle as a row with its columns' names,
columns by their names. Selects of mapped entities still go through the ORM."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import MultipleResultsFound, NoResultFound

from storage.db import Store
from storage.models import OrgUnit
from storage.rows import as_row

BUNDLE_AND_COLUMNS = (select(as_row(OrgUnit), OrgUnit.name.label("shown"), func.length(OrgUnit.code).label("n"))
                      .order_by(OrgUnit.id))


def _plain(row) -> tuple:  # type: ignore[no-untyped-def]
    unit, shown, n = row
    return (tuple(unit), unit.id, unit.code, unit.parent_id, shown, n, row.shown, row.n, row.org_unit.name)


async def test_bundles_and_columns_read_as_the_orm_reads_them(store: Store) -> None:
    async with store.session() as s:
        want = [_plain(r) for r in (await s.execute(BUNDLE_AND_COLUMNS)).all()]
        want_first = _plain((await s.execute(BUNDLE_AND_COLUMNS)).first())
        want_scalars = [tuple(u) for u in (await s.execute(BUNDLE_AND_COLUMNS)).scalars().all()]
    async with store.read_session() as r:
        got = [_plain(row) for row in (await r.execute(BUNDLE_AND_COLUMNS)).all()]
        got_first = _plain((await r.execute(BUNDLE_AND_COLUMNS)).first())
        got_scalars = [tuple(u) for u in (await r.execute(BUNDLE_AND_COLUMNS)).scalars().all()]
        columns = (await r.execute(select(OrgUnit.code, OrgUnit.name).order_by(OrgUnit.id))).all()
    assert len(want) >= 10 and got == want and got_first == want_first and got_scalars == want_scalars
    assert [(c.code, c.name) for c in columns] == [(w[2], w[4]) for w in want]


async def test_one_and_scalar_one_refuse_as_sqlalchemy_does(store: Store) -> None:
    none = select(as_row(OrgUnit)).where(OrgUnit.code == "finns-inte")
    many = select(as_row(OrgUnit))
    async with store.read_session() as r:
        assert (await r.execute(none)).first() is None
        assert (await r.execute(none)).scalar_one_or_none() is None
        with pytest.raises(NoResultFound):
            (await r.execute(none)).scalar_one()
        with pytest.raises(MultipleResultsFound):
            (await r.execute(many)).scalar_one_or_none()
        og = (await r.execute(select(as_row(OrgUnit)).where(OrgUnit.code == "OG"))).scalar_one()
    assert og.code == "OG" and og.parent_id is None


async def test_mapped_entities_still_come_from_the_orm(store: Store) -> None:
    async with store.read_session() as r:
        units = (await r.execute(select(OrgUnit).order_by(OrgUnit.id))).scalars().all()
        og = await r.get(OrgUnit, units[0].id)
    assert all(isinstance(u, OrgUnit) for u in units) and og is units[0]


async def test_a_write_session_reads_what_it_has_just_added(store: Store) -> None:
    """Autoflush as the ORM does it: a bundle select after ``add`` sees the new row, in the same transaction."""
    async with store.write_session() as w:
        w.add(OrgUnit(code="NY-1", name="Nya enheten", kind="enhet", valid_from=2018))
        found = (await w.execute(select(as_row(OrgUnit)).where(OrgUnit.code == "NY-1"))).scalar_one_or_none()
        assert found is not None and found.name == "Nya enheten"
        unit = (await w.execute(select(OrgUnit).where(OrgUnit.code == "NY-1"))).scalar_one()
        unit.name = "Omdöpta enheten"
        assert (await w.execute(select(OrgUnit.name).where(OrgUnit.code == "NY-1"))).scalar_one() == "Omdöpta enheten"
