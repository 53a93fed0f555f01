"""Base images for test and sandbox hosts, built locally and cached by recipe digest."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from difusor import mirror
from difusor.errors import DifusorError
from difusor.system import ensure_commands, run

# Bump when the build procedure below changes in a way that changes the images.
BUILD_FORMAT = 3
RECIPE_LABEL = "io.difusor.recipe"
IMAGE_PREFIX = "difusor/"
DEFAULT_IMAGES = ("debian12", "debian13", "client", "web")
SYSTEMD_CMD = 'CMD ["/lib/systemd/systemd"]'


@dataclass(frozen=True)
class Recipe:
    name: str
    packages: tuple[str, ...]
    suite: str | None = None  # debootstrap suite
    parent: str | None = None  # another recipe's name, or a registry image
    command: tuple[str, ...] = ()  # the image's CMD; systemd when empty
    labels: tuple[tuple[str, str], ...] = ()
    slim: bool = False  # an application image: no docs, manuals, locales or package lists

    @property
    def changes(self) -> list[str]:
        """Dockerfile instructions that finish the image (CMD and labels)."""
        cmd = f"CMD {json.dumps(list(self.command))}" if self.command else SYSTEMD_CMD
        return [cmd, *(f"LABEL {key}={json.dumps(value)}" for key, value in self.labels)]

    @property
    def tag(self) -> str:
        return f"{IMAGE_PREFIX}{self.name}:latest"


def load_recipes(text: str | None = None) -> dict[str, Recipe]:
    """Parse images.yml (the packaged one by default) and check each recipe's shape."""
    if text is None:
        text = resources.files("difusor").joinpath("data/images.yml").read_text()
    entries = yaml.safe_load(text)["images"]
    recipes = {}
    for name, entry in entries.items():
        if ("debootstrap" in entry) == ("from" in entry):
            raise DifusorError(
                f"image recipe {name!r}: give exactly one of 'debootstrap' or 'from'"
            )
        recipes[name] = Recipe(
            name,
            tuple(entry.get("packages", ())),
            entry.get("debootstrap"),
            entry.get("from"),
            tuple(entry.get("command", ())),
            tuple(sorted((str(k), str(v)) for k, v in entry.get("labels", {}).items())),
            bool(entry.get("slim", False)),
        )
    for recipe in recipes.values():
        if recipe.parent and ":" not in recipe.parent and recipe.parent not in recipes:
            raise DifusorError(f"image recipe {recipe.name!r}: unknown parent {recipe.parent!r}")
    return recipes


def digest(recipe: Recipe, recipes: dict[str, Recipe]) -> str:
    """A digest of everything that shapes the image: recipe, parents, build format."""
    parent = recipes.get(recipe.parent) if recipe.parent else None
    content = {
        "format": BUILD_FORMAT,
        "name": recipe.name,
        "packages": sorted(recipe.packages),
        "suite": recipe.suite,
        "parent": digest(parent, recipes) if parent else recipe.parent,
    }
    # Only when set, so that the digests of the systemd hosts stay what they were.
    if recipe.command or recipe.labels or recipe.slim:
        content.update(command=recipe.command, labels=recipe.labels, slim=recipe.slim)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def built_digest(tag: str) -> str | None:
    result = run(
        [
            "docker",
            "image",
            "inspect",
            "--format",
            f'{{{{index .Config.Labels "{RECIPE_LABEL}"}}}}',
            tag,
        ],
        check=False,
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def ensure_image(
    name: str, recipes: dict[str, Recipe] | None = None, say: Callable[[str], None] = print
) -> str:
    """Build the named image unless an image of the same recipe digest exists; return its tag."""
    recipes = recipes or load_recipes()
    if name not in recipes:
        raise DifusorError(f"unknown image {name!r}; known: {', '.join(sorted(recipes))}")
    recipe = recipes[name]
    if recipe.parent in recipes:
        ensure_image(recipe.parent, recipes, say)
    wanted = digest(recipe, recipes)
    if built_digest(recipe.tag) == wanted:
        say(f"image {recipe.tag} is up to date ({wanted})")
        return recipe.tag
    say(f"building image {recipe.tag} ({wanted}) ...")
    if recipe.suite:
        _build_debootstrap(recipe, wanted)
    else:
        parent = recipes[recipe.parent].tag if recipe.parent in recipes else recipe.parent
        _build_derived(recipe, parent, wanted)
    say(f"built image {recipe.tag}")
    return recipe.tag


def _build_debootstrap(recipe: Recipe, wanted: str) -> None:
    ensure_commands({"debootstrap": "debootstrap"}, f"building image {recipe.name}")
    source = mirror.debian_mirror()
    with tempfile.TemporaryDirectory(prefix=f"difusor-{recipe.name}-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "rootfs"
        run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(recipe.packages)}",
                recipe.suite,
                str(root),
                source.archive,
            ],
            timeout=1800,
        )
        _customize_rootfs(root, recipe.suite, source)
        if recipe.slim:
            _slim_rootfs(root)
        changes = [*recipe.changes, f"LABEL {RECIPE_LABEL}={wanted}"]
        change_args = " ".join(f"--change {shlex.quote(change)}" for change in changes)
        run(
            [
                "bash",
                "-o",
                "pipefail",
                "-c",
                f"tar -C {shlex.quote(str(root))} --numeric-owner -c . "
                f"| docker import {change_args} - {shlex.quote(recipe.tag)}",
            ],
            timeout=600,
        )


def _customize_rootfs(root: Path, suite: str, source: mirror.DebianMirror) -> None:
    """Make the tree a clean systemd host that uses the same mirror as this machine."""
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    (root / "etc/apt/sources.list.d/debian.sources").write_text(
        mirror.deb822_sources(source, suite)
    )
    if carried := mirror.carried_apt_config():
        (root / "etc/apt/apt.conf.d/90difusor-build-host").write_text(carried)
    (root / "etc/machine-id").write_text("")  # each container gets its own at boot
    for entry in (root / "var/cache/apt/archives").glob("*.deb"):
        entry.unlink()
    # Like a freshly installed server: package lists from the installation, which are old (so a
    # first run refreshes them; a check-mode run, which cannot, still finds the packages).
    lists = root / "var/lib/apt/lists"
    for entry in [lists, *lists.iterdir()]:
        os.utime(entry, (0, 0))


def _slim_rootfs(root: Path) -> None:
    """An application image needs no documentation, manuals, translations or package lists."""
    for pattern in (
        "usr/share/doc/*",
        "usr/share/man/*",
        "usr/share/info/*",
        "usr/share/locale/*",
        "var/lib/apt/lists/*",
        "var/cache/apt/*.bin",
    ):
        for entry in root.glob(pattern):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def _build_derived(recipe: Recipe, parent: str, wanted: str) -> None:
    install = (
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
        f"--no-install-recommends {' '.join(recipe.packages)} "
        "&& rm -rf /var/lib/apt/lists/* && touch -d @0 /var/lib/apt/lists"
    )
    dockerfile = "\n".join(
        [
            f"FROM {parent}",
            f"RUN {install}",
            *recipe.changes,
            f"LABEL {RECIPE_LABEL}={wanted}",
            "",
        ]
    )
    with tempfile.TemporaryDirectory(prefix=f"difusor-{recipe.name}-") as tmp:
        Path(tmp, "Dockerfile").write_text(dockerfile)
        env = {**os.environ, "DOCKER_BUILDKIT": "0"}  # the classic builder needs no buildx
        run(["docker", "build", "--network", "host", "-q", "-t", recipe.tag, tmp], env=env)
