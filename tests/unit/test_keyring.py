import pytest

from difusor.errors import DifusorError
from difusor.keyring import package_stanza

INDEX = """\
Package: ubuntu-advantage-tools
Filename: pool/main/u/ubuntu-advantage-tools/ubuntu-advantage-tools_27.deb
SHA256: 00

Package: ubuntu-keyring
Version: 2021.03.26
Description: GnuPG keys of the Ubuntu archive
 Package: not-a-field (a continuation line)
Filename: pool/main/u/ubuntu-keyring/ubuntu-keyring_2021.03.26_all.deb
SHA256: abcd
"""


def test_the_keyring_package_is_found_in_the_index():
    fields = package_stanza(INDEX, "ubuntu-keyring")
    assert fields["Filename"] == "pool/main/u/ubuntu-keyring/ubuntu-keyring_2021.03.26_all.deb"
    assert fields["SHA256"] == "abcd"


def test_a_missing_package_is_named():
    with pytest.raises(DifusorError, match="ubuntu-keyring is not in the archive's index"):
        package_stanza("Package: other\n", "ubuntu-keyring")
