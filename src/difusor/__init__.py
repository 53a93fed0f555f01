"""difusor: provisioning and compliance toolkit for PREP difusor servers."""

__version__ = "0.1.0"
