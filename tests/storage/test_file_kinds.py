"""Which import a file sent in chat is (``storage.files.detect``), and, when none fits, what it lacks (``nearest``)."""

from __future__ import annotations

from storage import files

MONTHS = ["Jan", "Feb", "Mar", "Apr", "Maj", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dec"]


def test_each_kind_is_detected_by_headers_a_user_writes() -> None:
    assert files.detect(["Period", "Verksamhet", "Belopp (tkr)"]).kind.key == "utfall"
    assert files.detect(["Verksamhetsområde", "Verksamhet", "Nettokostnad (tkr)"]).kind.key == "budget"
    assert files.detect(["Verksamhet", *MONTHS]).kind.key == "profil"
    assert files.detect(["Indikator", "År", "Målnivå"]).kind.key == "targets"
    assert files.detect(["Namn", "E-post", "Roll"]).kind.key == "people"
    ambiguous = files.detect(["Verksamhetsområde", "Verksamhet", "Belopp (tkr)"])
    assert ambiguous.kind is None and {k.key for k in ambiguous.candidates} == {"budget", "prognos"}
    assert {k.amount_header for k in ambiguous.candidates} == {"Budget (tkr)", "Prognos (tkr)"}


def test_of_kinds_explaining_as_much_the_one_needing_more_of_the_file_wins() -> None:
    # utfall needs a period, a verksamhet and an amount; a prognosis only the last two (and reads a comment)
    assert files.detect(["Period", "Verksamhet", "Kommentar", "Belopp (tkr)"]).kind.key == "utfall"
    assert files.detect(["Verksamhet", "Kommentar", "Belopp (tkr)"]).kind.key == "prognos"


def test_a_file_lacking_one_column_is_told_which_as_a_user_writes_it() -> None:
    assert files.detect(["Period", "Verksamhet", "Kommentar"]).kind is None
    (near,) = files.nearest(["Period", "Verksamhet", "Kommentar"])
    assert near.kind.key == "utfall" and near.count == 1
    assert near.missing_sv.startswith("”belopp” (eller ") and near.missing_en == "“belopp”"
    (near,) = files.nearest(MONTHS)  # a monthly profile without the verksamhet it is for
    assert near.kind.key == "profil" and near.missing_sv.startswith("”verksamhet”")


def test_the_first_way_a_kind_lists_is_named_when_several_lack_as_much() -> None:
    # people are known by e-mail (UPN) or AAD id: the e-mail is asked for; target levels: the målnivå
    near = {n.kind.key: n for n in files.nearest(["Namn", "Enhet"])}
    assert set(near) == {"org", "people"} and near["people"].missing_sv.startswith("”e-post”")
    near = {n.kind.key: n for n in files.nearest(["Indikator", "År"])}
    assert near["targets"].missing_sv.startswith("”målnivå”")


def test_the_nearest_kind_lacks_the_fewest_columns_then_has_the_most() -> None:
    # utfall has period and verksamhet (lacks belopp); prognos has only verksamhet (lacks prognos): utfall is nearer
    assert [n.kind.key for n in files.nearest(["Period", "Verksamhet"])] == ["utfall"]
    two = files.nearest(["Verksamhet", "Jan"])  # a profile lacks eleven months: too far; prognos lacks one
    assert [n.kind.key for n in two] == ["prognos"]


def test_a_file_with_little_or_nothing_of_any_kind_is_near_nothing() -> None:
    assert files.nearest(["Frukt", "Färg"]) == ()
    assert files.nearest([]) == ()
    assert files.nearest(["Verksamhet", "Jan", "Feb", "Mar"]) != () and all(
        n.kind.key != "profil" for n in files.nearest(["Verksamhet", "Jan", "Feb", "Mar"]))
