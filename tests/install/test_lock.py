"""The lock files against pyproject.toml, offline: a dependency changed without `python scripts/lock.py`
fails here. (CI's `make lock-check` also resolves again with uv and compares, which needs PyPI.)"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", re.MULTILINE)


def _load_lock_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("citebot_lock_script", ROOT / "scripts" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lock_script = _load_lock_script()


@dataclass(frozen=True)
class Pin:
    version: Version
    hashes: frozenset[str]


def read_lock(name: str) -> dict[str, Pin]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {
        canonicalize_name(m.group(1)): Pin(Version(m.group(2)), frozenset(re.findall(r"[0-9a-f]{64}", m.group(3))))
        for m in ENTRY.finditer(text)
    }


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def direct_requirements(extras: tuple[str, ...]) -> list[Requirement]:
    project = pyproject()["project"]
    texts = list(project["dependencies"])
    for extra in extras:
        texts += project["optional-dependencies"][extra]
    return [Requirement(text) for text in texts]


LOCKS = list(lock_script.LOCK_EXTRAS.items())


@pytest.mark.parametrize(("lock_name", "extras"), LOCKS)
def test_lock_was_written_from_this_pyproject(lock_name: str, extras: tuple[str, ...]) -> None:
    recorded = lock_script.recorded_digest((ROOT / lock_name).read_text(encoding="utf-8"))
    assert recorded == lock_script.pyproject_digest(ROOT / "pyproject.toml"), (
        f"pyproject.toml's dependencies changed since {lock_name} was written: run `python scripts/lock.py`"
    )


@pytest.mark.parametrize(("lock_name", "extras"), LOCKS)
def test_every_direct_pin_is_locked_at_its_version(lock_name: str, extras: tuple[str, ...]) -> None:
    locked = read_lock(lock_name)
    requirements = direct_requirements(extras) + [Requirement(r) for r in pyproject()["build-system"]["requires"]]
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement} is not in {lock_name}"
        # torch==2.13.0 is met by 2.13.0+cpu, as pip matches it.
        assert requirement.specifier.contains(locked[name].version, prereleases=True), (
            f"{lock_name} has {name}=={locked[name].version}, pyproject.toml asks for {requirement}"
        )


@pytest.mark.parametrize(("lock_name", "extras"), LOCKS)
def test_lock_is_cpu_only_and_fully_hashed(lock_name: str, extras: tuple[str, ...]) -> None:
    locked = read_lock(lock_name)
    assert len(locked) > 50
    assert locked["torch"].version.local == "cpu", f"{lock_name} pins torch {locked['torch'].version}, a CUDA build"
    cuda = [name for name in locked if name.startswith(("nvidia-", "cuda-")) or name == "triton"]
    assert not cuda, f"{lock_name} holds CUDA packages: {cuda}"
    unhashed = [name for name, pin in locked.items() if not pin.hashes]
    assert not unhashed, f"no hashes for {unhashed} in {lock_name}"


def test_runtime_lock_is_the_dev_lock_cut_down() -> None:
    """One resolution: a package has the same version and files in the image as in CI."""
    dev = read_lock(lock_script.DEV_LOCK)
    runtime = read_lock(lock_script.RUNTIME_LOCK)
    different = {name: (pin, dev.get(name)) for name, pin in runtime.items() if dev.get(name) != pin}
    assert not different
    assert set(dev) - set(runtime) >= {"pytest", "ruff", "uv"}


def brought_by(distribution: str, extra: str) -> list[Requirement]:
    """What `distribution[extra]` adds to the distribution's own requirements, from its installed metadata."""
    requirements = [Requirement(text) for text in importlib.metadata.requires(distribution) or []]
    return [
        r
        for r in requirements
        if r.marker is not None and r.marker.evaluate({"extra": extra}) and not r.marker.evaluate({"extra": ""})
    ]


def test_what_extras_bring_is_declared_directly() -> None:
    """pip 23.2, the one `python3.11 -m venv` ships, missed jusText's lxml[html_clean] (lxml calls the
    extra html-clean): so each package an extra brings, whoever asks for the extra, is a direct pin."""
    declared = {canonicalize_name(r.name) for r in direct_requirements(lock_script.LOCK_EXTRAS[lock_script.DEV_LOCK])}
    wanted: set[tuple[str, str]] = set()
    for name in read_lock(lock_script.DEV_LOCK):
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            pytest.fail(f"{name} is locked but not installed: run `make install`")
        for requirement in map(Requirement, requires):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                wanted |= {(canonicalize_name(requirement.name), canonicalize_name(e)) for e in requirement.extras}
    for requirement in direct_requirements(lock_script.LOCK_EXTRAS[lock_script.DEV_LOCK]):
        wanted |= {(canonicalize_name(requirement.name), canonicalize_name(e)) for e in requirement.extras}
    assert ("lxml", "html-clean") in wanted
    for distribution, extra in sorted(wanted):
        brought = brought_by(distribution, extra)
        assert brought, f"{distribution}[{extra}] brings nothing: is the extra misspelt?"
        missing = [str(r) for r in brought if canonicalize_name(r.name) not in declared]
        assert not missing, f"{distribution}[{extra}] brings {missing}: declare them in pyproject.toml"
