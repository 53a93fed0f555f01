#!/usr/bin/python
"""Ansible module: publish, verify or roll back PREP results packages (thin: difusor.package)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: difusor_package
short_description: Publish, verify or roll back PREP results packages
description:
  - A thin layer over the difusor library (C(difusor.package)), which must be importable on the
    host (role prep_publisher installs it; set C(PYTHONPATH) to its directory).
  - C(state=published) verifies the archive (sidecar, manifest, safe extraction, cut time) and
    makes it the live cut atomically, or stages it before the start of publication (call VI.a).
  - C(state=verified) only checks the archive. C(state=rolled_back) makes the previous (or the
    given) cut live again.
  - In check mode nothing is written; C(published) reports whether the cut would go live.
options:
  state:
    description: What to do.
    type: str
    choices: [published, verified, rolled_back]
    default: published
  archive:
    description: The package archive; its sidecar is ARCHIVE.sha256 beside it.
    type: path
  root:
    description:
      - The site root (releases/, current, journal.jsonl); default the one in the host's facts
        (C(/etc/difusor/facts.json), written by role difusor).
    type: path
  force:
    description: Accept a cut that is not newer than the live one.
    type: bool
    default: false
  drill:
    description: Go live even before the start of publication (simulacros).
    type: bool
    default: false
  to:
    description: With C(rolled_back), the cut to make live (YYYYMMDD_HHMM); default the previous.
    type: str
  settings:
    description:
      - YAML file of package settings; default the one in the host's facts (written by role
        prep_publisher). The publication window comes from the host's facts.
    type: path
author: difusor
"""

EXAMPLES = r"""
- name: Publish a package by hand
  difusor_package:
    archive: /srv/prep/incoming/20240602_2015_PREP_VER.zip
  environment:
    PYTHONPATH: /opt/difusor/lib
"""

RETURN = r"""
cut:
  description: The cut concerned (YYYYMMDD_HHMM).
  returned: success
  type: str
event:
  description: published, staged, verified or rollback.
  returned: success
  type: str
rule:
  description: The rule that rejected the package.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402 (after the docs, by convention)


def run(module, package):
    from difusor import hostfacts

    facts = hostfacts.load()
    params = {**module.params, "root": module.params["root"] or facts.site_root}
    settings = hostfacts.package_settings(facts, params["settings"])
    if params["state"] == "rolled_back":
        live = package.live_cut_id(params["root"])
        if module.check_mode:
            return {"changed": True, "event": "rollback", "previous": live}
        release = package.rollback(params["root"], params["to"], settings)
        return {"changed": release.cut_id != live, "event": "rollback", "cut": release.cut_id}
    verified = package.verify(params["archive"], settings)
    if params["state"] == "verified" or module.check_mode:
        live = package.live_cut_id(params["root"]) if params["root"] else None
        would = params["state"] == "published" and (params["force"] or verified.cut_id != live)
        return {"changed": bool(would), "event": "verified", "cut": verified.cut_id}
    if package.live_cut_id(params["root"]) == verified.cut_id and not params["force"]:
        return {"changed": False, "event": "published", "cut": verified.cut_id}
    result = package.publish(
        params["archive"],
        params["root"],
        force=params["force"],
        drill=params["drill"],
        settings=settings,
    )
    return {"changed": result.event != "unchanged", "event": result.event, "cut": result.cut_id}


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {
                "type": "str",
                "choices": ["published", "verified", "rolled_back"],
                "default": "published",
            },
            "archive": {"type": "path"},
            "root": {"type": "path"},
            "force": {"type": "bool", "default": False},
            "drill": {"type": "bool", "default": False},
            "to": {"type": "str"},
            "settings": {"type": "path"},
        },
        required_if=[
            ("state", "published", ("archive",)),
            ("state", "verified", ("archive",)),
        ],
        supports_check_mode=True,
    )
    try:
        from difusor import package
        from difusor.errors import DifusorError
    except ImportError as exc:
        module.fail_json(msg=f"the difusor library is not importable on this host: {exc}")
    try:
        module.exit_json(**run(module, package))
    except package.PackageRejected as exc:
        module.fail_json(msg=str(exc), rule=exc.rule)
    except DifusorError as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
