"""Prometheus' text exposition format 0.0.4: one `# HELP` and one `# TYPE` line per family, then
its samples. Names follow Prometheus' conventions (checked here): `difusor_` prefix, base units
in the name (`_seconds`, `_bytes`), counters end in `_total`, label names lowercase.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

PREFIX = "difusor_"
TYPES = ("gauge", "counter")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_NAME_RE = re.compile(r"[a-z_][a-z0-9_]*")
_LABEL_RE = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class Sample:
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Family:
    """One metric: its name, type, help text and samples."""

    name: str
    type: str
    help: str
    samples: tuple[Sample, ...]

    def __post_init__(self) -> None:
        if not _NAME_RE.fullmatch(self.name) or not self.name.startswith(PREFIX):
            raise ValueError(f"metric name {self.name!r}: lowercase, prefixed {PREFIX}")
        if self.type not in TYPES:
            raise ValueError(f"metric {self.name}: type {self.type!r} is not one of {TYPES}")
        if (self.type == "counter") != self.name.endswith("_total"):
            raise ValueError(f"metric {self.name}: counters, and only counters, end in _total")
        for sample in self.samples:
            for label in sample.labels:
                if not _LABEL_RE.fullmatch(label) or label.startswith("__"):
                    raise ValueError(f"metric {self.name}: label name {label!r}")


def gauge(name: str, help: str, value: float, **labels: str) -> Family:
    return Family(name, "gauge", help, (Sample(value, labels),))


def family(name: str, kind: str, help: str, samples: Iterable[tuple[Mapping[str, str], float]]):
    """A family from (labels, value) pairs."""
    return Family(name, kind, help, tuple(Sample(value, labels) for labels, value in samples))


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def escape_label(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def format_value(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def render(families: Iterable[Family]) -> str:
    """The exposition text; a family's name appears once (two families of one name: error)."""
    lines: list[str] = []
    seen: set[str] = set()
    for metric in families:
        if metric.name in seen:
            raise ValueError(f"metric {metric.name} given twice")
        seen.add(metric.name)
        lines.append(f"# HELP {metric.name} {escape_help(metric.help)}")
        lines.append(f"# TYPE {metric.name} {metric.type}")
        for sample in metric.samples:
            labels = ",".join(
                f'{key}="{escape_label(str(value))}"'
                for key, value in sorted(sample.labels.items())
            )
            shown = f"{{{labels}}}" if labels else ""
            lines.append(f"{metric.name}{shown} {format_value(sample.value)}")
    return "\n".join(lines) + "\n" if lines else ""


def counter(name: str, help: str, value: float) -> Family:
    """A counter without labels."""
    return Family(name, "counter", help, (Sample(value),))
