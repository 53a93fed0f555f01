"""When an X.509 certificate expires, from its bytes alone (standard library only: the host's
metrics read the portal's certificate file, the portal monitor the certificate a server sends).

Only the validity of the first certificate is read (a PEM chain lists the server's first); the
DER walk is the few fields before it: tbsCertificate's optional version, serial number,
signature algorithm and issuer.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from pathlib import Path

_PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL)
_SEQUENCE, _UTC_TIME, _GENERALIZED_TIME, _VERSION_TAG = 0x30, 0x17, 0x18, 0xA0


class CertificateError(ValueError):
    """Bytes that are not a certificate this reader understands."""


def first_der(data: bytes) -> bytes:
    """The first certificate of PEM text (or the bytes themselves when they are DER)."""
    match = _PEM_RE.search(data)
    if match is None:
        if data[:1] == bytes([_SEQUENCE]):
            return data
        raise CertificateError("no certificate (neither PEM nor DER)")
    try:
        return base64.b64decode(b"".join(match.group(1).split()), validate=True)
    except ValueError as exc:
        raise CertificateError(f"PEM block is not base64: {exc}") from None


def _element(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of the content, end of the content) of the DER element at `at`."""
    if at + 2 > len(data):
        raise CertificateError("certificate ends early")
    tag, length = data[at], data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or at + count > len(data):
            raise CertificateError("bad DER length")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + length > len(data):
        raise CertificateError("certificate ends early")
    return tag, at, at + length


def _time(tag: int, text: bytes) -> datetime:
    try:
        value = text.decode("ascii")
        if tag == _UTC_TIME:
            moment = datetime.strptime(value, "%y%m%d%H%M%SZ")
            if moment.year >= 2050:  # RFC 5280: YY >= 50 is 19YY
                moment = moment.replace(year=moment.year - 100)
        elif tag == _GENERALIZED_TIME:
            moment = datetime.strptime(value, "%Y%m%d%H%M%SZ")
        else:
            raise CertificateError(f"validity time of unknown type 0x{tag:02x}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise CertificateError(f"bad validity time: {exc}") from None
    return moment.replace(tzinfo=timezone.utc)


def validity(der: bytes) -> tuple[datetime, datetime]:
    """(not before, not after) of a DER certificate, in UTC."""
    tag, start, _ = _element(der, 0)
    if tag != _SEQUENCE:
        raise CertificateError("not a certificate")
    tag, at, end = _element(der, start)  # tbsCertificate
    if tag != _SEQUENCE:
        raise CertificateError("not a certificate")
    tag, _, after = _element(der, at)
    if tag == _VERSION_TAG:
        at = after
    for _field in ("serial number", "signature algorithm", "issuer"):
        _, _, at = _element(der, at)
    tag, at, _ = _element(der, at)
    if tag != _SEQUENCE or at >= end:
        raise CertificateError("no validity in the certificate")
    first_tag, first_start, first_end = _element(der, at)
    second_tag, second_start, second_end = _element(der, first_end)
    return (
        _time(first_tag, der[first_start:first_end]),
        _time(second_tag, der[second_start:second_end]),
    )


def not_after(data: bytes) -> datetime:
    """When the first certificate of PEM or DER bytes expires (UTC)."""
    return validity(first_der(data))[1]


def file_not_after(path: Path) -> datetime:
    """When the certificate in a file expires; OSError when it cannot be read."""
    return not_after(Path(path).read_bytes())
