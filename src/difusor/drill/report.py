"""The drill's report: a step table in Spanish (default) or English, and the same as JSON."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from difusor.drill.evaluate import Fact, StepResult, all_passed

LANGS = ("es", "en")

HEADERS = {
    "es": (
        "paso",
        "qué se hizo",
        "resultado esperado",
        "observado",
        "tiempo de recuperación",
        "veredicto",
    ),
    "en": ("step", "what was done", "expected", "observed", "recovery time", "verdict"),
}
VERDICT = {"es": ("PASA", "FALLA"), "en": ("PASS", "FAIL")}

ACTIONS = {
    "es": {
        "first_cut": "corte normal A {first} enviado por rsync",
        "second_cut": "corte normal B {second} (+15 min) enviado por rsync",
        "corrupt_cut": "corte C {corrupt} (+30 min) con el archivo truncado, enviado por rsync",
        "replayed_cut": "corte A {replayed} reenviado (repetición de uno anterior)",
        "crash": "kill -9 del proceso principal del contenedor web",
        "gap": "hueco de 45 min: corte de hace 50 min {stale} publicado, vigilante con aviso "
        "automático; luego corte nuevo {fresh} por rsync",
    },
    "en": {
        "first_cut": "normal cut A {first} pushed by rsync",
        "second_cut": "normal cut B {second} (+15 min) pushed by rsync",
        "corrupt_cut": "cut C {corrupt} (+30 min) with a truncated archive, pushed by rsync",
        "replayed_cut": "cut A {replayed} pushed again (a replay of an older one)",
        "crash": "kill -9 of the web container's main process",
        "gap": "45-min gap: a cut 50 min old {stale} published, watchdog with auto notice; "
        "then a fresh cut {fresh} by rsync",
    },
}
EXPECTED = {
    "es": {
        "first_cut": "A servido por HTTPS en menos de {timeout} s",
        "second_cut": "B servido; index.html idéntico byte a byte al del paquete",
        "corrupt_cut": "rechazado (regla sidecar-mismatch); B servido todo el tiempo",
        "replayed_cut": "rechazado (regla replayed-cut); B servido todo el tiempo",
        "crash": "Docker lo reinicia y vuelve a servir B",
        "gap": "el vigilante publica el aviso; con el corte nuevo lo retira y vuelven los "
        "resultados",
    },
    "en": {
        "first_cut": "A served over HTTPS within {timeout} s",
        "second_cut": "B served; index.html byte for byte the package's",
        "corrupt_cut": "rejected (rule sidecar-mismatch); B served all along",
        "replayed_cut": "rejected (rule replayed-cut); B served all along",
        "crash": "Docker restarts it and it serves B again",
        "gap": "the watchdog serves the notice; with the fresh cut it lifts it and the results "
        "are back",
    },
}
FACTS = {
    "es": {
        "push_failed": "el envío por rsync falló: {detail}",
        "not_live": "{cut} no se sirvió en {timeout} s (se servía: {shown})",
        "live_after": "{cut} servido {seconds} s después del envío",
        "bytes_equal": "index.html idéntico ({size} bytes)",
        "bytes_differ": "index.html distinto: {served} de {size} bytes (HTTP {status})",
        "not_rejected": "{archive} no aparece rechazado en la bitácora",
        "rejected_rule": "rechazado por la regla {rule} a los {seconds} s",
        "kept_served": "{cut} servido en las {polls} consultas",
        "other_served": "no siempre se sirvió {cut}; también: {shown}",
        "not_restarted": "el contenedor no se reinició (estado, reinicios: {state})",
        "restarted": "reiniciado por Docker ({restarts} reinicio)",
        "not_back": "no volvió a servir en {timeout} s (se obtuvo: {shown})",
        "served_again": "sirve {cut} de nuevo a los {seconds} s",
        "no_incident": "el vigilante no declaró incidente: {status}",
        "notice_not_shown": "el aviso no se sirvió en {timeout} s (se obtuvo: {shown})",
        "notice_shown": "aviso servido {seconds} s después de correr el vigilante ({status})",
        "results_not_back": "los resultados no volvieron en {timeout} s (se obtuvo: {shown})",
        "results_back": "resultados de {cut} servidos de nuevo {seconds} s después del envío",
        "notice_left_on": "el modo aviso quedó activo",
        "error": "no se pudo completar: {detail}",
        "restored_settings": "configuración del vigilante restaurada",
        "notice_turned_off": "modo aviso desactivado",
        "container_started": "contenedor web arrancado",
        "republished": "corte {cut} publicado para dejar servido el más reciente",
        "cleanup_failed": "falló un paso de la limpieza: {detail}",
        "serving": "el difusor sirve {cut}",
    },
    "en": {
        "push_failed": "the rsync push failed: {detail}",
        "not_live": "{cut} was not served within {timeout} s (served: {shown})",
        "live_after": "{cut} served {seconds} s after the push",
        "bytes_equal": "index.html identical ({size} bytes)",
        "bytes_differ": "index.html differs: {served} of {size} bytes (HTTP {status})",
        "not_rejected": "{archive} is not rejected in the journal",
        "rejected_rule": "rejected by rule {rule} after {seconds} s",
        "kept_served": "{cut} served at all {polls} polls",
        "other_served": "{cut} was not always served; also: {shown}",
        "not_restarted": "the container was not restarted (state, restarts: {state})",
        "restarted": "restarted by Docker ({restarts} restart)",
        "not_back": "not serving again within {timeout} s (got: {shown})",
        "served_again": "serves {cut} again after {seconds} s",
        "no_incident": "the watchdog declared no incident: {status}",
        "notice_not_shown": "the notice was not served within {timeout} s (got: {shown})",
        "notice_shown": "notice served {seconds} s after the watchdog ran ({status})",
        "results_not_back": "the results were not back within {timeout} s (got: {shown})",
        "results_back": "results of {cut} served again {seconds} s after the push",
        "notice_left_on": "notice mode was left on",
        "error": "could not be completed: {detail}",
        "restored_settings": "watchdog settings restored",
        "notice_turned_off": "notice mode turned off",
        "container_started": "web container started",
        "republished": "cut {cut} published so that the newest one is served",
        "cleanup_failed": "a cleanup action failed: {detail}",
        "serving": "the difusor serves {cut}",
    },
}
TIMINGS = {
    "es": {
        "push_to_served": "envío→servido",
        "push_to_rejected": "envío→rechazo",
        "kill_to_served": "caída→servido",
        "watchdog_to_notice": "vigilante→aviso",
        "push_to_results": "envío→resultados",
    },
    "en": {
        "push_to_served": "push→served",
        "push_to_rejected": "push→rejected",
        "kill_to_served": "crash→served",
        "watchdog_to_notice": "watchdog→notice",
        "push_to_results": "push→results",
    },
}
WIDTHS = (4, 30, 30, 40, 22, 9)


@dataclass(frozen=True)
class HostReport:
    host: str
    address: str
    started: str  # ISO 8601, Tiempo del Centro
    cuts: dict[str, str]
    steps: tuple[StepResult, ...]
    cleanup: tuple[Fact, ...] = ()  # what the cleanup had to do, or could not do

    @property
    def passed(self) -> bool:
        return all_passed(self.steps)


def fact_text(fact: Fact, lang: str) -> str:
    return FACTS[lang][fact.key].format(**fact.values)


def step_cells(step: StepResult, lang: str) -> tuple[str, ...]:
    """The six cells of a step's row."""
    values = step.values
    facts = "; ".join(fact_text(fact, lang) for fact in step.facts)
    timings = "; ".join(
        f"{TIMINGS[lang][timing.key]} {timing.seconds:.1f} s" for timing in step.timings
    )
    return (
        str(step.number),
        ACTIONS[lang][step.key].format(**values),
        EXPECTED[lang][step.key].format(**values),
        facts,
        timings or "-",
        VERDICT[lang][0 if step.passed else 1],
    )


def table(rows: Sequence[Sequence[str]], widths: Sequence[int] = WIDTHS) -> str:
    """A plain text table; long cells wrap inside their column."""
    rule = "+" + "+".join("-" * (width + 2) for width in widths) + "+"
    lines = [rule]
    for row in rows:
        wrapped = [
            textwrap.wrap(cell, width) or [""] for cell, width in zip(row, widths, strict=True)
        ]
        for line in range(max(len(cell) for cell in wrapped)):
            parts = [
                (cell[line] if line < len(cell) else "").ljust(width)
                for cell, width in zip(wrapped, widths, strict=True)
            ]
            lines.append("| " + " | ".join(parts) + " |")
        lines.append(rule)
    return "\n".join(lines)


def render(report: HostReport, lang: str = "es") -> str:
    """The host's section: title, step table, verdict and cleanup."""
    passed = sum(step.passed for step in report.steps)
    total = len(report.steps)
    if lang == "es":
        title = (
            f"Simulacro de continuidad (convocatoria III.c.ii) en {report.host} "
            f"({report.address}), iniciado {report.started}"
        )
        summary = f"Resultado: {passed} de {total} pasos PASAN"
        verdict = "simulacro APROBADO" if report.passed else "simulacro NO aprobado"
        cleanup = "Al terminar"
    else:
        title = (
            f"Continuity drill (call III.c.ii) on {report.host} ({report.address}), "
            f"started {report.started}"
        )
        summary = f"Result: {passed} of {total} steps PASS"
        verdict = "drill PASSED" if report.passed else "drill NOT passed"
        cleanup = "Afterwards"
    rows = [HEADERS[lang], *(step_cells(step, lang) for step in report.steps)]
    lines = [title, table(rows), f"{summary}: {verdict}"]
    if report.cleanup:
        lines.append(f"{cleanup}: " + "; ".join(fact_text(fact, lang) for fact in report.cleanup))
    return "\n".join(lines)


def as_json(reports: Sequence[HostReport], lang: str) -> str:
    """Every host's steps with their facts worded in `lang` and their times in seconds."""
    data: list[dict[str, Any]] = []
    for report in reports:
        steps = []
        for step in report.steps:
            cells = step_cells(step, lang)
            steps.append(
                {
                    "number": step.number,
                    "step": step.key,
                    "passed": step.passed,
                    "action": cells[1],
                    "expected": cells[2],
                    "observed": cells[3],
                    "timings_s": {timing.key: timing.seconds for timing in step.timings},
                    "facts": [asdict(fact) for fact in step.facts],
                }
            )
        data.append(
            {
                "host": report.host,
                "address": report.address,
                "started": report.started,
                "passed": report.passed,
                "cuts": report.cuts,
                "steps": steps,
                "cleanup": [fact_text(fact, lang) for fact in report.cleanup],
            }
        )
    return json.dumps({"call": "III.c.ii", "hosts": data}, ensure_ascii=False, indent=2) + "\n"
