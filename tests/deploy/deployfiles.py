"""The deployment files as data: the systemd unit, the compose file, the Dockerfile and
.env.example, read the way their tools read them (as far as a test can)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diana_bot.config import Settings
from tests.deploy.promql import DEPLOY, ROOT, load_yaml

UNIT = DEPLOY / "systemd" / "diana-bot.service"
SYSUSERS = DEPLOY / "systemd" / "diana-bot.sysusers"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
CADDYFILE = DEPLOY / "Caddyfile"
ENV_EXAMPLE = ROOT / ".env.example"

# The names operators use: the settings' field names in upper case (no prefix).
SETTINGS = frozenset(name.upper() for name in Settings.model_fields)
# The image this repository builds; the other services run other programs.
BOT_IMAGE = "diana-bot"
# Values for the compose file's own variables, as an operator would export them.
COMPOSE_VALUES = {"POSTGRES_PASSWORD": "pw", "DIANA_DOMAIN": "bot.example.com"}


@dataclass
class Unit:
    """A systemd unit file: ``{section: {key: [values in order]}}``."""

    sections: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Unit:
        unit = cls()
        section: dict[str, list[str]] = {}
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = unit.sections.setdefault(line.strip("[]"), {})
                continue
            key, _, value = line.partition("=")
            section.setdefault(key.strip(), []).append(value.strip())
        return unit

    def get(self, section: str, key: str) -> list[str]:
        return self.sections.get(section, {}).get(key, [])

    def one(self, section: str, key: str) -> str:
        values = self.get(section, key)
        assert len(values) == 1, f"{key}: {values}"
        return values[0]

    def environment(self) -> dict[str, str]:
        """``Environment=`` assignments (several per line, shell-like quoting)."""
        env: dict[str, str] = {}
        for line in self.get("Service", "Environment"):
            for word in shlex.split(line):
                name, _, value = word.partition("=")
                env[name] = value
        return env


def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(COMPOSE)
    return data


def bot_services(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services that run this repository's image."""
    return {
        name: service
        for name, service in doc["services"].items()
        if str(service.get("image", "")).split(":")[0] == BOT_IMAGE
    }


def service_environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment``, its ``${...}`` filled in from COMPOSE_VALUES."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): interpolate(str(v), COMPOSE_VALUES) for k, v in env.items()}


_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}|\$([A-Za-z_]\w*)")


def interpolated_names(text: str) -> set[str]:
    """The variables ``${NAME}``, ``${NAME:?...}``, ``$NAME`` a compose file takes
    from its environment."""
    return {a or b for a, b in _INTERPOLATION.findall(text.replace("$$", ""))}


def interpolate(text: str, values: dict[str, str]) -> str:
    """Fill in ``${NAME...}`` as compose would with ``values``."""
    return _INTERPOLATION.sub(lambda m: values[m.group(1) or m.group(2)], text)


def dockerfile_env() -> dict[str, str]:
    """``ENV`` assignments of every stage (``NAME=value`` form, line continuations)."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for word in shlex.split(line[4:]):
                name, _, value = word.partition("=")
                env[name] = value
    return env


def dockerfile_instruction(name: str) -> str:
    """The last stage's ``name`` instruction's argument (e.g. ENTRYPOINT)."""
    found = [
        line[len(name) + 1 :].strip()
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.startswith(name + " ")
    ]
    assert found, name
    return found[-1]


@dataclass(frozen=True)
class EnvLine:
    name: str
    value: str
    unset: bool  # "#NAME=": a setting with no default, left unset
    explained: bool  # a "# ..." comment precedes it in its paragraph


def env_example() -> list[EnvLine]:
    """The settings lines of .env.example: ``NAME=value``, or ``#NAME=`` (unset).
    Comments are ``# text`` (a space after the hash); paragraphs end at blank lines."""
    lines: list[EnvLine] = []
    explained = False
    for raw in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(#?)([A-Z][A-Z0-9_]*)=(.*)", raw)
        if match:
            hashed, name, value = match.groups()
            lines.append(EnvLine(name, value, bool(hashed), explained))
        elif not raw.strip():
            explained = False
        elif raw.startswith("# ") and not raw.startswith("# ---"):
            explained = True
    return lines
