"""
A venv with one Home Assistant release, installed as its container image is.

`scripts/e2e --ha VERSION` runs the end to end against `.venv-ha-<VERSION>`: built with
uv on Python >= 3.14.2, `homeassistant==VERSION` installed under that release's own
`package_constraints.txt` (read from its wheel). instagrapi is *not* installed here:
Home Assistant's own requirement installer puts it in when the config flow first loads
the integration, as it does for a user (DESIGN.md, "second look").

While `hass` runs, HTTPS_PROXY points at the emulator, so the installer reaches the
package registry only through NO_PROXY: `registry_hosts()` reads the hosts at run time
from pip's and uv's own configuration; none is written into this repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import Requirement

from tests.e2e.harness import REPO, VENV_BIN, say

#: Bumped when the way a venv is built changes, so old ones are rebuilt.
BUILD_RECIPE = "4"
#: The integrations the run's configuration.yaml names (harness.CONFIGURATION_YAML).
CONFIGURED_DOMAINS = (
    "http",
    "api",
    "config",
    "onboarding",
    "recorder",
    "history",
    "logbook",
    "logger",
)
#: In a venv: the packages that could not be installed there, one a line.
SKIP_FILE = "skip-pip-packages.txt"

#: Environment variables that name package indexes (pip's and uv's documentation).
_INDEX_VARIABLES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
)
#: Keys of pip.conf / uv.toml whose values are index URLs.
_INDEX_KEYS = {
    "index-url",
    "extra-index-url",
    "find-links",
    "default-index",
    "index",
    "url",
}


def venv_path(version: str) -> Path:
    """Where the venv of a release lives: `.venv-ha-<version>` in the repository."""
    return REPO / f".venv-ha-{version}"


def _hosts_of(values: str) -> set[str]:
    """Hosts of the http(s) URLs in a whitespace/comma separated value."""
    hosts: set[str] = set()
    for word in values.replace(",", " ").split():
        # uv's UV_INDEX entries may be `name=url`.
        url = word.split("=", 1)[1] if "=" in word.split("://")[0] else word
        parts = urlsplit(url)
        if parts.scheme in {"http", "https"} and parts.hostname:
            hosts.add(parts.hostname)
    return hosts


def _pip_config_hosts() -> set[str]:
    """Hosts named by `pip config list` (every pip.conf pip reads, plus PIP_*)."""
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    hosts: set[str] = set()
    for line in result.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.rsplit(".", 1)[-1] in _INDEX_KEYS:
            hosts |= _hosts_of(value.strip().strip("'\""))
    return hosts


def _uv_config_files() -> list[Path]:
    """uv's configuration files (uv documentation, "Configuration files")."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    dirs = os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")
    files = [config_home / "uv" / "uv.toml", Path("/etc/uv/uv.toml")]
    files += [Path(directory) / "uv" / "uv.toml" for directory in dirs]
    if explicit := os.environ.get("UV_CONFIG_FILE"):
        files.append(Path(explicit))
    return [path for path in files if path.is_file()]


def _toml_hosts(value: object) -> set[str]:
    """Hosts of every index URL anywhere in a parsed uv.toml."""
    hosts: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _INDEX_KEYS and isinstance(item, str):
                hosts |= _hosts_of(item)
            else:
                hosts |= _toml_hosts(item)
    elif isinstance(value, list):
        for item in value:
            hosts |= _hosts_of(item) if isinstance(item, str) else _toml_hosts(item)
    return hosts


def _default_index_hosts() -> set[str]:
    """The default index and its file host, as pip itself defines them (PyPI)."""
    code = (
        "from pip._internal.models.index import PyPI;"
        "print(PyPI.netloc, PyPI.file_storage_domain)"
    )
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def registry_hosts() -> list[str]:
    """
    The package registry hosts Home Assistant's installer may need, read now.

    From `pip config list`, the PIP_*/UV_* index variables, uv.toml files and the
    default index as pip defines it (uv's default is the same PyPI). Every pip.conf
    pip reads (/etc/pip.conf, the user's, PIP_CONFIG_FILE) shows in `pip config list`.

    Returns:
        Sorted host names (no scheme, no port), for NO_PROXY.

    """
    hosts = _pip_config_hosts() | _default_index_hosts()
    for variable in _INDEX_VARIABLES:
        hosts |= _hosts_of(os.environ.get(variable, ""))
    for path in _uv_config_files():
        try:
            hosts |= _toml_hosts(tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as err:
            say(f"cannot read {path}: {err}")
    return sorted(hosts)


def _run(*args: str) -> None:
    """Run a build step; its output goes to stderr."""
    subprocess.run(args, check=True, stdout=sys.stderr)


def _constraints(version: str, into: Path) -> Path:
    """Download the release's wheel (no deps) and extract package_constraints.txt."""
    with tempfile.TemporaryDirectory(prefix="ha-wheel.") as tmp:
        _run(
            str(VENV_BIN / "python"),
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            f"homeassistant=={version}",
            "--dest",
            tmp,
        )
        wheel = next(Path(tmp).glob("homeassistant-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            text = archive.read("homeassistant/package_constraints.txt")
    path = into / "package_constraints.txt"
    path.write_bytes(text)
    return path


#: Run in a release's venv: the requirements of the integrations Home Assistant sets
#: up on every start (bootstrap's always-on sets and the run's configuration, with
#: their manifest dependencies), as a JSON list.
_ALWAYS_ON_REQUIREMENTS = """
import json, sys
from pathlib import Path
import homeassistant.bootstrap as bootstrap
import homeassistant.components as components
root = Path(components.__file__).parent
todo = list(sys.argv[1:])
for name in ("CORE_INTEGRATIONS", "LOGGING_AND_HTTP_DEPS_INTEGRATIONS",
             "FRONTEND_INTEGRATIONS", "DEFAULT_INTEGRATIONS"):
    todo += list(getattr(bootstrap, name, ()))
seen, requirements = set(), set()
while todo:
    domain = todo.pop()
    manifest = root / domain / "manifest.json"
    if domain in seen or not manifest.is_file():
        continue
    seen.add(domain)
    data = json.loads(manifest.read_text())
    requirements |= set(data.get("requirements", []))
    todo += data.get("dependencies", [])
print(json.dumps(sorted(requirements)))
"""


def _prime(venv: Path, constraints: Path, domains: list[str]) -> list[str]:
    """
    Install what Home Assistant would install on its first start, except ours.

    A container image ships these; here they are installed once per venv under the
    release's constraints, so a run's start does not spend minutes installing (and
    retrying three times) packages unrelated to this integration.

    Returns:
        Names of packages that cannot be installed here (e.g. pymicro-vad 1.0.1 has
        no wheel for Python 3.14 and needs C headers to build); `hass` gets them as
        --skip-pip-packages. instagrapi is never among them.

    """
    python = str(venv / "bin" / "python")
    result = subprocess.run(
        [python, "-c", _ALWAYS_ON_REQUIREMENTS, *domains],
        capture_output=True,
        text=True,
        check=True,
    )
    requirements: list[str] = json.loads(result.stdout)
    install = [str(VENV_BIN / "uv"), "pip", "install", "--quiet", "--python", python]
    install += ["--constraint", str(constraints)]

    def installs(requirement: str, *, build: bool) -> bool:
        flags = [] if build else ["--no-build"]
        return (
            subprocess.run(
                [*install, *flags, requirement],
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ).returncode
            == 0
        )

    # Wheels first (seconds); only what has none is built (that can take minutes).
    unbuilt = [req for req in requirements if not installs(req, build=False)]
    failed = [req for req in unbuilt if not installs(req, build=True)]
    if failed:
        say(f"cannot install here, skipped by hass: {', '.join(failed)}")
    return [Requirement(requirement).name for requirement in failed]


def skip_pip_packages(venv: Path) -> list[str]:
    """The packages `_prime` could not install in a venv (for --skip-pip-packages)."""
    path = venv / SKIP_FILE
    return path.read_text().split() if path.is_file() else []


def installed_version(venv: Path, package: str) -> str | None:
    """The version of `package` in a venv, or None when it is not installed."""
    code = (
        "import importlib.metadata as m, sys\n"
        "try: print(m.version(sys.argv[1]))\n"
        "except m.PackageNotFoundError: pass\n"
    )
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, package],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip() or None


def build(version: str) -> Path:
    """
    Build (or reuse) the venv of a Home Assistant release, without instagrapi.

    Reused while its stamp names the same release and recipe. instagrapi and its
    own dependencies are removed in either case, so that Home Assistant's installer
    puts them in during the run.

    Returns:
        The venv's directory.

    Raises:
        subprocess.CalledProcessError: uv or pip failed (registry unreachable,
            no such release).

    """
    venv = venv_path(version)
    stamp = venv / ".ig_autoliker-e2e"
    wanted = f"homeassistant=={version} recipe={BUILD_RECIPE}"
    uv = str(VENV_BIN / "uv")
    started = time.monotonic()
    if not stamp.is_file() or stamp.read_text().strip() != wanted:
        shutil.rmtree(venv, ignore_errors=True)
        python = shutil.which("python3.14") or sys.executable
        _run(uv, "venv", "--quiet", "--python", python, str(venv))
        constraints = _constraints(version, venv)
        _run(
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            f"homeassistant=={version}",
            "--constraint",
            str(constraints),
        )
        skipped = _prime(venv, constraints, list(CONFIGURED_DOMAINS))
        (venv / SKIP_FILE).write_text("\n".join(skipped) + "\n")
        stamp.write_text(wanted + "\n")
        say(f"built {venv.name} in {time.monotonic() - started:.1f} s")
    else:
        say(f"reusing {venv.name}")
    if installed_version(venv, "instagrapi") is not None:
        _run(
            uv,
            "pip",
            "uninstall",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            "instagrapi",
        )
        say("removed instagrapi so that Home Assistant installs it again")
    return venv
