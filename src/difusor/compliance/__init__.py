"""Compliance: the requirement catalog of a call, checks, the audit and its report."""
