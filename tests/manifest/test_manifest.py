"""The Teams app package: the built manifest against the official schema, what the schema cannot check,
the icons, the localisation, the zip layout, and ``tavla manifest build`` from the command line."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema.exceptions import best_match
from PIL import Image

from bot import message_extension
from manifest import build, icons
from settings import Settings
from tests.conftest import ROOT, need_shared

APP_ID = "3d9f0c1e-5b6a-4c2d-9e8f-7a6b5c4d3e2f"
DOMAIN = "tavla.ostragoinge.se"
COMMANDS = {"status", "budget", "tavla", "rapportera", "mina aktiviteter", "veckosammanfattning", "hjälp"}
SETTINGS = Settings(app_id=APP_ID, public_domain=DOMAIN)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    info = build.check_info(build.info_from_settings(SETTINGS, version="1.4.0"))
    return build.write_package(info, tmp_path / "tavla.zip")


def read(package: Path, name: str) -> bytes:
    with zipfile.ZipFile(package) as archive:
        return archive.read(name)


def built_manifest(package: Path) -> dict[str, Any]:
    return json.loads(read(package, "manifest.json").decode("utf-8"))


# --- schema ---------------------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize("schema_file", ["teams-manifest-1.22.json"])
def test_the_built_manifest_is_valid_against_the_official_schema(package: Path, schema_file: str) -> None:
    schema = json.loads(need_shared("schemas", schema_file).read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    manifest = built_manifest(package)
    error = best_match(validator_class(schema).iter_errors(manifest))
    assert error is None, f"{list(error.absolute_path)}: {error.message}"
    # draft-04 ignores "const": the manifest version is checked here
    assert schema["properties"]["manifestVersion"]["const"] == manifest["manifestVersion"] == build.MANIFEST_VERSION
    assert manifest["$schema"].endswith(f"/v{build.MANIFEST_VERSION}/MicrosoftTeams.schema.json")


@pytest.mark.shared
def test_the_schema_really_rejects_a_broken_manifest(package: Path) -> None:
    """The validation above has teeth: the same validator refuses what Teams would refuse."""
    schema = json.loads(need_shared("schemas", "teams-manifest-1.22.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for breakage in (
        lambda m: m["bots"][0].update(botId="not-a-guid"),
        lambda m: m["bots"][0]["commandLists"][0]["commands"].extend([{"title": "x", "description": "y"}] * 4),
        lambda m: m["name"].update(short="T" * 31),
        lambda m: m.pop("accentColor"),
    ):
        manifest = built_manifest(package)
        breakage(manifest)
        assert best_match(validator.iter_errors(manifest)) is not None


# --- what this installation fills in --------------------------------------------------------


def test_app_id_version_and_domain_come_from_the_settings(package: Path) -> None:
    manifest = built_manifest(package)
    assert manifest["id"] == manifest["bots"][0]["botId"] == manifest["composeExtensions"][0]["botId"] == APP_ID
    assert manifest["version"] == "1.4.0"
    assert manifest["validDomains"] == [DOMAIN]
    developer = manifest["developer"]
    assert developer["websiteUrl"] == developer["privacyUrl"] == developer["termsOfUseUrl"] == f"https://{DOMAIN}/"
    assert "00000000-0000" not in json.dumps(manifest) and "example.se" not in json.dumps(manifest)
    # the template itself is untouched
    assert build.load_template()["id"] == build.PLACEHOLDER_ID


def test_the_bot_scopes_files_and_command_lists(package: Path) -> None:
    manifest = built_manifest(package)
    bot = manifest["bots"][0]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert bot["supportsFiles"] is True and bot["isNotificationOnly"] is False
    lists = bot["commandLists"]
    assert sorted(scope for cl in lists for scope in cl["scopes"]) == ["groupChat", "personal", "team"]
    for command_list in lists:
        titles = [c["title"] for c in command_list["commands"]]
        assert set(titles) == COMMANDS and len(titles) == len(COMMANDS), command_list["scopes"]
        for command in command_list["commands"]:
            # Swedish, short enough for the localisation limit (128) and the command menu
            assert 10 <= len(command["description"]) <= 128
            assert re.search(r"[åäö]|\b(och|för|din|dina|en|med|den här)\b", command["description"], re.I), command
    personal = next(cl for cl in lists if cl["scopes"] == ["personal"])
    assert personal["commands"][0]["title"] == "mina aktiviteter"  # what a medarbetare does most in 1:1
    team = next(cl for cl in lists if cl["scopes"] == ["team"])
    assert team["commands"][0]["title"] == "tavla"  # the tavelmöte happens in the team's channel


def test_the_message_extension_matches_the_handler(package: Path) -> None:
    extension = built_manifest(package)["composeExtensions"][0]
    assert extension["composeExtensionType"] == "botBased"
    [command] = extension["commands"]
    assert command["type"] == "query" and command["initialRun"] is True
    assert command["id"] == message_extension.COMMAND_ID
    assert [p["name"] for p in command["parameters"]] == [message_extension.PARAMETER]
    assert set(command["context"]) == {"compose", "commandBox"}


def test_swedish_is_the_default_language_and_english_is_complete(package: Path) -> None:
    manifest = built_manifest(package)
    info = manifest["localizationInfo"]
    assert info["defaultLanguageTag"].startswith("sv")
    [english] = info["additionalLanguages"]
    assert english["languageTag"] == "en"
    strings = json.loads(read(package, english["file"]).decode("utf-8"))
    limits = {"name.short": 30, "name.full": 100, "description.short": 80, "description.full": 4000}
    for required, limit in limits.items():
        assert strings[required] and len(strings[required]) <= limit, required
    assert "Göingemodellen" in strings["description.full"]
    covered = set()
    for path, value in strings.items():
        if path.startswith("$") or path in limits:
            continue
        target = _resolve(manifest, path)  # every key names a string the manifest has
        assert isinstance(target, str), path
        assert len(value) <= (32 if path.endswith(".title") else 128), path
        covered.add(path)
    # every command description and the search texts have an English version
    for i, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for j, _ in enumerate(command_list["commands"]):
            assert f"bots[0].commandLists[{i}].commands[{j}].description" in covered
    for field in ("title", "description", "parameters[0].title", "parameters[0].description"):
        assert f"composeExtensions[0].commands[0].{field}" in covered
    # English titles are commands Tavla understands: Swedish ones kept, "help" for "hjälp"
    for path, value in strings.items():
        if path.endswith(".title") and path.startswith("bots"):
            assert _resolve(manifest, path) == "hjälp" and value == "help"


def _resolve(manifest: dict[str, Any], path: str) -> Any:
    node: Any = manifest
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    return node


def test_swedish_texts_fit_teams_limits() -> None:
    template = build.load_template()
    assert len(template["name"]["short"]) <= 30 and len(template["name"]["full"]) <= 100
    assert len(template["description"]["short"]) <= 80 and len(template["description"]["full"]) <= 4000
    assert "kommunens egen databas" in template["description"]["full"]


# --- icons ----------------------------------------------------------------------------------


def test_the_icons_have_teams_sizes_and_colours(package: Path) -> None:
    manifest = built_manifest(package)
    color = Image.open(io.BytesIO(read(package, manifest["icons"]["color"])))
    outline = Image.open(io.BytesIO(read(package, manifest["icons"]["outline"])))
    assert color.format == outline.format == "PNG"
    assert color.size == (192, 192) and outline.size == (32, 32)

    # outline: transparent background, white lines, nothing else
    assert outline.mode == "RGBA"
    pixels = [outline.getpixel((x, y)) for y in range(32) for x in range(32)]
    visible = [p for p in pixels if p[3] > 0]
    assert all(p[:3] == (255, 255, 255) for p in visible), "outline pixels must be white"
    assert 60 <= len(visible) <= 600, "a drawing, neither empty nor a filled square"
    for corner in ((0, 0), (31, 0), (0, 31), (31, 31)):
        assert outline.getpixel(corner)[3] == 0, "background must be transparent"

    # colour: the accent colour edge to edge, a white symbol within the central safe area
    accent = tuple(int(manifest["accentColor"][i:i + 2], 16) for i in (1, 3, 5))
    rgba = color.convert("RGBA")
    for corner in ((0, 0), (191, 0), (0, 191), (191, 191), (96, 10)):
        assert rgba.getpixel(corner)[:3] == accent
    white = [(x, y) for y in range(192) for x in range(192) if rgba.getpixel((x, y))[:3] == (255, 255, 255)]
    assert len(white) > 1000
    assert all(30 <= x <= 162 and 30 <= y <= 162 for x, y in white), "symbol outside the safe area"


def test_the_committed_icons_are_what_the_script_draws() -> None:
    for name, drawn in (("color.png", icons.draw_color()), ("outline.png", icons.draw_outline())):
        committed = Image.open(build.HERE / name).convert("RGBA")
        assert committed.tobytes() == drawn.convert("RGBA").tobytes(), f"run python -m manifest.icons ({name})"


# --- the zip --------------------------------------------------------------------------------


def test_the_zip_has_the_files_at_its_root(package: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    assert sorted(names) == ["color.png", "en.json", "manifest.json", "outline.png"]
    manifest = built_manifest(package)
    assert {manifest["icons"]["color"], manifest["icons"]["outline"]} <= set(names)
    assert all(lang["file"] in names for lang in manifest["localizationInfo"]["additionalLanguages"])
    raw = read(package, "manifest.json")
    assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without BOM
    assert "Östra Göinge kommun" in raw.decode("utf-8")


def test_the_same_settings_give_the_same_bytes(tmp_path: Path) -> None:
    info = build.check_info(build.info_from_settings(SETTINGS, version="2.0.1"))
    first = build.write_package(info, tmp_path / "a.zip").read_bytes()
    second = build.write_package(info, tmp_path / "b.zip").read_bytes()
    assert first == second


@pytest.mark.parametrize("given, expected", [
    ("tavla.ostragoinge.se", "tavla.ostragoinge.se"),
    ("https://Tavla.OstraGoinge.se/api/messages", "tavla.ostragoinge.se"),
    ("tavla.ostragoinge.se:443", "tavla.ostragoinge.se"),
])
def test_the_domain_is_normalised(given: str, expected: str) -> None:
    assert build.normalise_domain(given) == expected


@pytest.mark.parametrize("changes, complaint", [
    ({"app_id": ""}, "MicrosoftAppId saknas"),
    ({"app_id": "tavla"}, "är inget app-id"),
    ({"domain": ""}, "TAVLA_PUBLIC_DOMAIN saknas"),
    ({"domain": "localhost"}, "inget fullständigt domännamn"),
    ({"domain": "tavla.kommun.se:3978"}, "porten 3978"),
    ({"domain": "10.0.0.7"}, "inget fullständigt domännamn"),
    ({"version": "1.0"}, "tre tal"),
    ({"version": "1.0.0-beta"}, "tre tal"),
    ({"privacy_url": "http://kommun.se/integritet"}, "https"),
    ({"developer_name": "x" * 33}, "1–32 tecken"),
])
def test_mistakes_are_named_in_swedish(changes: dict[str, str], complaint: str, tmp_path: Path) -> None:
    values = {"app_id": APP_ID, "domain": DOMAIN, "version": "1.0.0", **changes}
    with pytest.raises(build.ManifestError, match=complaint):
        build.write_package(build.PackageInfo(**values), tmp_path / "tavla.zip")
    assert not (tmp_path / "tavla.zip").exists() and not list(tmp_path.glob(".tavla-*"))


# --- the command ----------------------------------------------------------------------------


def _tavla(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("MicrosoftAppId", "TAVLA_PUBLIC_DOMAIN", "PYTHONPATH")}
    script = Path(sys.executable).parent / "tavla"
    if script.exists():  # the installed command, as an IT department runs it: no PYTHONPATH, another folder
        return subprocess.run([str(script), *args], cwd=cwd, env={**clean, **env}, capture_output=True, text=True,
                              timeout=120)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd,
                          env={**clean, **env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)


def test_tavla_manifest_build_writes_the_package(tmp_path: Path) -> None:
    """The installed ``tavla`` command, run outside the checkout, with settings from the environment."""
    done = _tavla(["manifest", "build", "--out", "paket/tavla.zip", "--version", "1.2.3"], tmp_path,
                  MicrosoftAppId=APP_ID, TAVLA_PUBLIC_DOMAIN=f"https://{DOMAIN}/")
    assert done.returncode == 0, done.stderr
    assert "Skrev paket/tavla.zip" in done.stdout and DOMAIN in done.stdout
    manifest = built_manifest(tmp_path / "paket" / "tavla.zip")
    assert (manifest["id"], manifest["version"], manifest["validDomains"]) == (APP_ID, "1.2.3", [DOMAIN])


def test_tavla_manifest_build_without_an_app_id_says_what_to_set(tmp_path: Path) -> None:
    done = _tavla(["manifest", "build", "--out", "tavla.zip"], tmp_path, TAVLA_PUBLIC_DOMAIN=DOMAIN)
    assert done.returncode == 1
    assert "MicrosoftAppId saknas" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "tavla.zip").exists()


def test_the_makefile_target_builds_the_package() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "tavla manifest build --out tavla.zip" in makefile
