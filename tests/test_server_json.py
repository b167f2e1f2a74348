"""server.json (the official MCP Registry's metadata) validates against the registry's published
schema, vendored in tests/registry/ (source and license in its README), and stays in step with
pyproject.toml, mcp.json, the code's environment variables and the README."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from stripe_power import __version__

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "registry" / "server.schema.json").read_text())
SERVER = json.loads((ROOT / "server.json").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
README = (ROOT / "README.md").read_text()
SECRET_NAMES = ("SECRET", "TOKEN", "KEY")


def problems(document: Any) -> list[str]:
    validator = Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_server_json_validates_against_the_registry_schema() -> None:
    assert SERVER["$schema"] == SCHEMA["$id"]
    assert problems(SERVER) == []


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("description",), "x" * 101),  # the registry caps descriptions at 100 characters
        (("name",), "stripe-power"),  # a name needs its reverse-DNS namespace
        (("packages", 0, "version"), "latest"),  # a package pins one version
        (("packages", 0, "transport"), {"type": "carrier-pigeon"}),
    ],
)
def test_the_vendored_schema_rejects_what_the_registry_rejects(where: tuple[Any, ...], value: Any) -> None:
    broken = copy.deepcopy(SERVER)
    target = broken
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    assert problems(broken), f"{where} = {value!r} was accepted"


def test_server_json_is_in_step_with_the_package() -> None:
    package, _ = SERVER["packages"]
    assert SERVER["version"] == package["version"] == PYPROJECT["version"] == __version__
    assert package["identifier"] == PYPROJECT["name"]
    assert SERVER["description"] == PYPROJECT["description"]
    assert package["registryType"] == "pypi" and package["transport"] == {"type": "stdio"}
    # Run over stdio as mcp.json runs it: the package's script with the same arguments.
    launcher = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]["stripe"]
    assert PYPROJECT["scripts"][launcher["command"]] == "stripe_power.cli:main"
    assert launcher["command"] == package["identifier"]
    assert [argument["value"] for argument in package["packageArguments"]] == launcher["args"]
    # The registry ties a PyPI package to its server name through this line in the README.
    assert f"mcp-name: {SERVER['name']}" in README


def test_environment_variables_are_real_documented_and_secrets_flagged() -> None:
    package, oauth = SERVER["packages"]
    variables = {v["name"]: v for v in package["environmentVariables"] + oauth["environmentVariables"]}
    code = "".join(p.read_text() for p in (ROOT / "src" / "stripe_power").rglob("*.py"))
    documented = set(re.findall(r"^\| `([A-Z_]+)", README, flags=re.MULTILINE))
    for name, variable in variables.items():
        assert f'"{name}"' in code, f"{name} is not read by the server"
        assert name in documented, f"{name} is not in the README's configuration table"
        assert variable.get("isSecret", False) == any(word in name for word in SECRET_NAMES), name
    required = [name for name, variable in variables.items() if variable.get("isRequired")]
    assert all(not variable.get("isSecret") for variable in oauth["environmentVariables"])
    assert required == ["STRIPE_SECRET_KEY"]


def test_the_oauth_package_entry_starts_oauth_mode_as_the_cli_reads_it() -> None:
    """The second package: `serve --transport http --access-file FILE` (OAuth mode, the README's
    "Serve a team with OAuth") at the URL its transport names. Its flags are the CLI's own."""
    from stripe_power.cli import build_parser

    _, oauth = SERVER["packages"]
    assert oauth["identifier"] == PYPROJECT["name"] and oauth["version"] == __version__
    arguments = oauth["packageArguments"]
    argv = [a["value"] for a in arguments if a["type"] == "positional"]
    for argument in (a for a in arguments if a["type"] == "named"):
        argv += [argument["name"], argument.get("value", "team.toml")]
    parsed = build_parser().parse_args(argv)
    assert (parsed.command, parsed.transport, parsed.access_file) == ("serve", "http", "team.toml")
    assert oauth["transport"] == {"type": "streamable-http", "url": f"http://127.0.0.1:{parsed.port}/mcp"}
    access = next(a for a in arguments if a.get("name") == "--access-file")
    assert access["isRequired"] is True and access["format"] == "filepath"
    assert "OAuth" in access["description"] and "Serve a team with OAuth" in README
    assert "STRIPE_POWER_ACCESS_FILE" in README  # the flag's environment variable is documented
