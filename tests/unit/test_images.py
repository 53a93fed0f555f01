import pytest

from difusor.errors import DifusorError
from difusor.images import digest, load_recipes

RECIPES = """
images:
  base12:
    debootstrap: bookworm
    packages: [systemd, python3]
  client:
    from: base12
    packages: [curl]
  ubuntu:
    from: "ubuntu:22.04"
    packages: [systemd]
"""


def test_packaged_recipes_load_and_give_systemd_hosts():
    recipes = load_recipes()
    assert {"debian12", "debian13", "client"} <= set(recipes)
    for name in ("debian12", "debian13"):
        assert {"systemd", "systemd-sysv", "python3", "sudo", "openssh-server"} <= set(
            recipes[name].packages
        )
    assert recipes["debian12"].suite == "bookworm"
    assert recipes["debian13"].suite == "trixie"


def test_digest_is_stable_and_ignores_package_order():
    recipes = load_recipes(RECIPES)
    reordered = load_recipes(RECIPES.replace("[systemd, python3]", "[python3, systemd]"))
    assert digest(recipes["base12"], recipes) == digest(reordered["base12"], reordered)


def test_a_parent_change_rebuilds_its_children():
    recipes = load_recipes(RECIPES)
    changed = load_recipes(RECIPES.replace("[systemd, python3]", "[systemd, python3, sudo]"))
    assert digest(recipes["client"], recipes) != digest(changed["client"], changed)
    assert digest(recipes["ubuntu"], recipes) == digest(changed["ubuntu"], changed)


def test_a_recipe_needs_exactly_one_source():
    with pytest.raises(DifusorError, match=r"'both'.*exactly one"):
        load_recipes("images:\n  both: {debootstrap: bookworm, from: x, packages: []}\n")
    with pytest.raises(DifusorError, match=r"'none'.*exactly one"):
        load_recipes("images:\n  none: {packages: []}\n")


def test_an_unknown_parent_is_named():
    with pytest.raises(DifusorError, match=r"'child'.*unknown parent 'nowhere'"):
        load_recipes("images:\n  child: {from: nowhere, packages: []}\n")


def test_ubuntu_recipes_come_from_the_ubuntu_archive_with_its_key():
    recipes = load_recipes()
    for name, suite in (("ubuntu2204", "jammy"), ("ubuntu2404", "noble")):
        assert recipes[name].suite == suite
        assert recipes[name].archive == "ubuntu"
        assert len(recipes[name].archive_key or "") == 40
    assert recipes["debian12"].archive == "debian"


def test_an_unknown_archive_is_refused():
    with pytest.raises(DifusorError, match=r"'x'.*archive 'arch' is not one of debian, ubuntu"):
        load_recipes("images:\n  x: {debootstrap: sid, archive: arch, packages: []}\n")
