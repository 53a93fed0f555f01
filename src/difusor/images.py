"""Base images for test and sandbox hosts, built locally and cached by recipe digest."""

from __future__ import annotations

import argparse
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

from difusor import engine, keyring, mirror
from difusor.errors import DifusorError
from difusor.output import say
from difusor.system import ensure_commands, run

# Bump when the build procedure below changes in a way that changes the images.
BUILD_FORMAT = 3
RECIPE_LABEL = "io.difusor.recipe"
IMAGE_PREFIX = "difusor/"
DEFAULT_IMAGES = ("debian12", "debian13", "ubuntu2204", "ubuntu2404", "client", "watcher", "web")
SYSTEMD_CMD = 'CMD ["/lib/systemd/systemd"]'
ARCHIVES = ("debian", "ubuntu")


@dataclass(frozen=True)
class Recipe:
    name: str
    packages: tuple[str, ...]
    suite: str | None = None  # debootstrap suite
    parent: str | None = None  # another recipe's name, or a registry image
    command: tuple[str, ...] = ()  # the image's CMD; systemd when empty
    labels: tuple[tuple[str, str], ...] = ()
    slim: bool = False  # an application image: no docs, manuals, locales or package lists
    archive: str = "debian"  # which distribution's archive `suite` comes from
    archive_key: str | None = None  # fingerprint of that archive's signing key (Ubuntu)

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
    document = yaml.safe_load(text)
    recipes = {}
    for name, entry in document["images"].items():
        if ("debootstrap" in entry) == ("from" in entry):
            raise DifusorError(
                f"image recipe {name!r}: give exactly one of 'debootstrap' or 'from'"
            )
        archive = entry.get("archive", "debian")
        if archive not in ARCHIVES:
            raise DifusorError(
                f"image recipe {name!r}: archive {archive!r} is not one of {', '.join(ARCHIVES)}"
            )
        recipes[name] = Recipe(
            name,
            tuple(entry.get("packages", ())),
            entry.get("debootstrap"),
            entry.get("from"),
            tuple(entry.get("command", ())),
            tuple(sorted((str(k), str(v)) for k, v in entry.get("labels", {}).items())),
            bool(entry.get("slim", False)),
            archive,
            document.get("archive_keys", {}).get(archive),
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
    if recipe.archive != "debian":
        content.update(archive=recipe.archive, archive_key=recipe.archive_key)
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
    with tempfile.TemporaryDirectory(prefix=f"difusor-{recipe.name}-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "rootfs"
        include = f"--include={','.join(recipe.packages)}"
        if recipe.archive == "ubuntu":
            archive = mirror.ubuntu_mirror(recipe.suite)
            if not recipe.archive_key:
                raise DifusorError(f"image recipe {recipe.name!r}: no archive key for ubuntu")
            key = keyring.ubuntu_keyring(
                archive, recipe.suite, recipe.archive_key, Path(tmp) / "ubuntu-archive.gpg"
            )
            script = str(mirror.debootstrap_script(recipe.suite))
            options = [f"--keyring={key}", "--components=main,universe", include]
            arguments = [recipe.suite, str(root), archive, script]
            sources = ("ubuntu.sources", mirror.ubuntu_sources(archive, recipe.suite))
        else:
            debian = mirror.debian_mirror()
            options, arguments = [include], [recipe.suite, str(root), debian.archive]
            sources = ("debian.sources", mirror.deb822_sources(debian, recipe.suite))
        run(["debootstrap", "--variant=minbase", *options, *arguments], timeout=1800)
        _customize_rootfs(root, *sources)
        if recipe.slim:
            _slim_rootfs(root)
        # An Ubuntu server runs with its -updates and -security suites applied: the bootstrap
        # is imported under a stage tag and upgraded, and only the result carries the digest.
        upgraded = recipe.archive == "ubuntu"
        tag = f"{IMAGE_PREFIX}{recipe.name}:bootstrap" if upgraded else recipe.tag
        changes = [*recipe.changes, *([] if upgraded else [f"LABEL {RECIPE_LABEL}={wanted}"])]
        change_args = " ".join(f"--change {shlex.quote(change)}" for change in changes)
        run(
            [
                "bash",
                "-o",
                "pipefail",
                "-c",
                f"tar -C {shlex.quote(str(root))} --numeric-owner -c . "
                f"| docker import {change_args} - {shlex.quote(tag)}",
            ],
            timeout=600,
        )
    if upgraded:
        _docker_build(recipe, [f"FROM {tag}", f"RUN {UPGRADE}", *recipe.changes], wanted)
        run(["docker", "image", "rm", tag], check=False)


# Apply the suite's updates without starting services in the build container (policy-rc.d),
# and keep the package lists, backdated, like a freshly installed server's.
UPGRADE = (
    "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d "
    "&& apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y "
    "-o Dpkg::Options::=--force-confold dist-upgrade "
    "&& apt-get clean && rm -f /usr/sbin/policy-rc.d "
    "&& find /var/lib/apt/lists -exec touch -d @0 {} +"
)


def _customize_rootfs(root: Path, sources_name: str, sources: str) -> None:
    """Make the tree a clean systemd host that uses the same mirror as this machine."""
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    (root / "etc/apt/sources.list.d" / sources_name).write_text(sources)
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
    _docker_build(recipe, [f"FROM {parent}", f"RUN {install}", *recipe.changes], wanted)


def _docker_build(recipe: Recipe, instructions: list[str], wanted: str) -> None:
    dockerfile = "\n".join([*instructions, f"LABEL {RECIPE_LABEL}={wanted}", ""])
    with tempfile.TemporaryDirectory(prefix=f"difusor-{recipe.name}-") as tmp:
        Path(tmp, "Dockerfile").write_text(dockerfile)
        env = {**os.environ, "DOCKER_BUILDKIT": "0"}  # the classic builder needs no buildx
        run(
            ["docker", "build", "--network", "host", "-q", "-t", recipe.tag, tmp],
            env=env,
            timeout=1800,
        )


# --- CLI -------------------------------------------------------------------------------------


def cmd_images(args: argparse.Namespace) -> int:
    recipes = load_recipes()
    if args.action == "list":
        for recipe in recipes.values():
            wanted = digest(recipe, recipes)
            built = built_digest(recipe.tag)
            state = "up to date" if built == wanted else ("outdated" if built else "not built")
            print(f"{recipe.tag:28} {wanted}  {state}")
        return 0
    engine.ensure_engine(say)
    if args.action == "facts":
        return images_facts(args)
    for name in args.names or DEFAULT_IMAGES:
        ensure_image(name, recipes, say)
    return 0


def images_facts(args: argparse.Namespace) -> int:
    from difusor import target_facts

    facts, skipped = target_facts.gather(args.names, build=not args.no_build, say=say)
    for name in skipped:
        say(f"skipped {name}: not built, or outdated (difusor images build {name})")
    if not facts:
        raise DifusorError("no image to read: build them first (difusor images build)")
    command = "difusor images facts" + (f" --output {args.output}" if args.output else "")
    text = target_facts.render_markdown(facts, command)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        say(f"wrote {args.output} ({len(facts)} targets)")
    else:
        print(text, end="")
    return 1 if skipped else 0


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`difusor images build|list|facts`."""
    parser = commands.add_parser(
        "images",
        help="build or list the local base images; facts: what each target brings (a Markdown "
        "table of package versions read from the built images, docs/targets.md)",
    )
    parser.add_argument("action", choices=["build", "list", "facts"])
    parser.add_argument(
        "names",
        nargs="*",
        help="recipes to build or read (default: build: the default set; facts: every systemd "
        "host built from an archive)",
        default=None,
    )
    parser.add_argument("--output", type=Path, help="facts: write the table here (else stdout)")
    parser.add_argument(
        "--no-build",
        action="store_true",
        help="facts: skip the images that are not built and up to date (exit 1) instead of "
        "building them",
    )
    parser.set_defaults(func=cmd_images)
    return parser
