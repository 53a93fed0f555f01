"""What each target system brings: the packages the roles rely on, read from the built images.

For each systemd-host recipe built from a distribution's archive (images.yml: `debootstrap`, no
`command`, not `slim`), a throwaway container of the built image reports the installed version
(dpkg-query) of each package, or, when it is not installed, the candidate that the image's own apt
would install (`apt-cache policy`: the images keep the package lists of their installation).
`difusor images facts --output docs/targets.md` writes the table of the docs.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from difusor import images
from difusor.errors import DifusorError
from difusor.system import run

# What the roles install or rely on, in the order of the table.
PACKAGES = (
    "python3",
    "openssh-server",
    "systemd",
    "docker.io",
    "fail2ban",
    "rsync",
    "chrony",
    "ufw",
)
DOCS_COMMAND = "difusor images facts --output docs/targets.md"

# Run with sh in the image, packages as arguments: the OS name, then dpkg's and apt's views.
PROBE = r"""
. /etc/os-release
echo "os: ${PRETTY_NAME:-$ID $VERSION_ID}"
echo "== dpkg"
dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\t${Version}\n' "$@" 2>/dev/null
echo "== apt"
apt-cache policy "$@" 2>&1
"""


@dataclass(frozen=True)
class PackageFact:
    name: str
    version: str | None  # None: neither installed nor in the image's package lists
    installed: bool
    origin: str = ""  # where apt would take it from (suite/component), when not installed


@dataclass
class ImageFacts:
    recipe: str
    tag: str
    os_name: str
    image_id: str = ""
    recipe_digest: str = ""
    created: str = ""
    packages: dict[str, PackageFact] = field(default_factory=dict)


def target_recipes(recipes: dict[str, images.Recipe]) -> list[images.Recipe]:
    """The recipes of target systems: systemd hosts built from an archive, as a server is."""
    return [
        recipe
        for recipe in recipes.values()
        if recipe.suite and not recipe.command and not recipe.slim
    ]


def probe_command(tag: str, packages: Iterable[str] = PACKAGES) -> list[str]:
    return [
        "docker",
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/bin/sh",
        tag,
        "-c",
        PROBE,
        "probe",
        *packages,
    ]


def parse_dpkg(text: str) -> dict[str, str]:
    """`dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n'`: the installed ones."""
    installed = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1][1:2] == "i" and parts[2]:
            installed[parts[0]] = parts[2]
    return installed


def parse_policy(text: str) -> dict[str, tuple[str | None, str]]:
    """`apt-cache policy PKG...`: each package's candidate (None when apt has none) and the
    suite/component it comes from (`jammy-updates/universe`; "" when not read)."""
    candidates: dict[str, tuple[str | None, str]] = {}
    current, version = None, None
    for line in text.splitlines():
        if match := re.fullmatch(r"(\S+):", line):
            current, version = match.group(1), None
            candidates[current] = (None, "")
        elif current is None:
            continue
        elif match := re.fullmatch(r"\s+Candidate:\s*(\S+)", line):
            candidates[current] = (None if match.group(1) == "(none)" else match.group(1), "")
        elif match := re.fullmatch(r" (?:\*\*\*|   ) (\S+) -?\d+", line):
            version = match.group(1)
        elif match := re.fullmatch(r"\s+-?\d+ \S+ (\S+) \S+ Packages", line):
            candidate, origin = candidates[current]
            if version == candidate and not origin:
                candidates[current] = (candidate, match.group(1))
    return candidates


def parse_probe(
    text: str, packages: Iterable[str] = PACKAGES
) -> tuple[str, dict[str, PackageFact]]:
    """The OS name and one fact per package from the probe's output."""
    os_name, sections, section = "", {"dpkg": [], "apt": []}, None
    for line in text.splitlines():
        if line.startswith("os: ") and section is None:
            os_name = line[4:].strip()
        elif line in ("== dpkg", "== apt"):
            section = line[3:]
        elif section:
            sections[section].append(line)
    installed = parse_dpkg("\n".join(sections["dpkg"]))
    candidates = parse_policy("\n".join(sections["apt"]))
    facts = {}
    for name in packages:
        if name in installed:
            facts[name] = PackageFact(name, installed[name], True)
        else:
            version, origin = candidates.get(name, (None, ""))
            facts[name] = PackageFact(name, version, False, origin)
    return os_name, facts


def read_facts(recipe: images.Recipe, packages: Iterable[str] = PACKAGES) -> ImageFacts:
    """Start a throwaway container of the recipe's built image and read its facts."""
    packages = tuple(packages)
    result = run(probe_command(recipe.tag, packages), timeout=300)
    os_name, facts = parse_probe(result.stdout, packages)
    label = f'{{{{index .Config.Labels "{images.RECIPE_LABEL}"}}}}'
    inspect = ["docker", "image", "inspect", "--format", "{{.Id}} {{.Created}} " + label]
    image_id, created, digest = [*run([*inspect, recipe.tag]).stdout.split(), "", "", ""][:3]
    return ImageFacts(recipe.name, recipe.tag, os_name, image_id, digest, created[:10], facts)


def gather(
    names: Iterable[str] | None = None,
    *,
    build: bool = True,
    say: Callable[[str], None] = print,
) -> tuple[list[ImageFacts], list[str]]:
    """Facts of the named recipes (default: every target recipe); build the missing images
    unless `build` is false, in which case those not built and up to date are skipped."""
    recipes = images.load_recipes()
    if unknown := sorted(set(names or ()) - set(recipes)):
        raise DifusorError(f"unknown image {', '.join(unknown)}; known: {', '.join(recipes)}")
    chosen = [recipes[name] for name in names] if names else target_recipes(recipes)
    facts, skipped = [], []
    for recipe in chosen:
        if build:
            images.ensure_image(recipe.name, recipes, say)
        elif images.built_digest(recipe.tag) != images.digest(recipe, recipes):
            skipped.append(recipe.name)
            continue
        facts.append(read_facts(recipe))
    return facts, skipped


def cell(fact: PackageFact) -> str:
    if fact.version is None:
        return "no está en el archivo"
    if fact.installed:
        return f"`{fact.version}`"
    return f"`{fact.version}` (apt{', ' + fact.origin if fact.origin else ''})"


def render_markdown(facts: list[ImageFacts], command: str = DOCS_COMMAND) -> str:
    """The docs page: one column per target, one row per package, and the images it came from."""
    header = "| Paquete | " + " | ".join(f"{f.os_name} (`{f.recipe}`)" for f in facts) + " |"
    intro = (
        "Versiones de los paquetes de los que dependen los roles, en cada sistema en que se "
        "prueban (II.B.a pide Ubuntu, 22.04 LTS recomendado). Un valor sin marca es la versión "
        "instalada en la imagen; **(apt, suite)** es la que `apt-get install` instalaría de las "
        "listas de paquetes de la imagen, que es lo que hace el rol que lo necesita (`docker`, "
        "`firewall`, `rsync_receiver`, `ntp`). Las imágenes son instalaciones mínimas "
        "(debootstrap con systemd, python3, sudo, OpenSSH e iproute2, con las actualizaciones "
        "aplicadas en Ubuntu): lo que una instalación completa de Ubuntu Server ya trae, como "
        "ufw, aparece aquí como (apt)."
    )
    lines = [
        f"<!-- Generado por `{command}` desde las imágenes construidas; no editar a mano. -->",
        "# Qué trae cada sistema destino",
        "",
        *textwrap.wrap(intro, 100, break_on_hyphens=False),
        "",
        header,
        "| --- |" + " --- |" * len(facts),
    ]
    names = list(facts[0].packages) if facts else list(PACKAGES)
    for name in names:
        row = [cell(f.packages[name]) if name in f.packages else "?" for f in facts]
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    lines += [
        "",
        *textwrap.wrap(
            f"Generado con `{command}` de estas imágenes (`make setup` las construye; recetas "
            "en `src/difusor/data/images.yml`):",
            100,
            break_on_hyphens=False,
        ),
        "",
        "| Imagen | Construida | Digest de la receta | ID de la imagen |",
        "| --- | --- | --- | --- |",
    ]
    for f in facts:
        lines.append(f"| `{f.tag}` | {f.created} | `{f.recipe_digest}` | `{f.image_id}` |")
    return "\n".join(lines) + "\n"
