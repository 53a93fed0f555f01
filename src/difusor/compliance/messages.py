"""Every text of the audit report, in Spanish (default) and English: one table, one template."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "title": {"es": "Informe de auditoría de cumplimiento", "en": "Compliance audit report"},
    "catalog": {"es": "Catálogo", "en": "Catalog"},
    "catalog_version": {"es": "versión", "en": "version"},
    "toolkit": {"es": "Herramienta", "en": "Toolkit"},
    "generated": {"es": "Generado", "en": "Generated"},
    "utc": {"es": "UTC", "en": "UTC"},
    "local_time": {"es": "Tiempo del Centro", "en": "Tiempo del Centro (Mexico City)"},
    "summary": {"es": "Resumen", "en": "Summary"},
    "hosts": {"es": "Servidores", "en": "Servers"},
    "host": {"es": "Servidor", "en": "Server"},
    "identity": {"es": "Identidad del servidor", "en": "Server identity"},
    "connection": {"es": "Conexión", "en": "Connection"},
    "result": {"es": "Resultado", "en": "Result"},
    "unreachable": {
        "es": "NO SE PUDO AUDITAR: servidor inalcanzable o error de ejecución",
        "en": "COULD NOT BE AUDITED: server unreachable or run error",
    },
    "requirement": {"es": "Requisito", "en": "Requirement"},
    "kind": {"es": "Tipo", "en": "Kind"},
    "mandatory": {"es": "Obligatorio", "en": "Mandatory"},
    "yes": {"es": "sí", "en": "yes"},
    "no": {"es": "no", "en": "no"},
    "verdict": {"es": "Dictamen", "en": "Verdict"},
    "reason": {"es": "Motivo", "en": "Why"},
    "call_text": {"es": "Texto de la convocatoria", "en": "Text of the call (Spanish)"},
    "evidence": {"es": "Evidencia", "en": "Evidence"},
    "evidence_required": {
        "es": "Evidencia que el auditor debe ver",
        "en": "Evidence the auditor must see",
    },
    "command": {"es": "Comando", "en": "Command"},
    "exit_status": {"es": "código de salida", "en": "exit status"},
    "measured": {"es": "Valores medidos", "en": "Measured values"},
    "parameters": {"es": "Parámetros", "en": "Parameters"},
    "waiver": {"es": "Dispensa", "en": "Waiver"},
    "waiver_by": {"es": "otorgada por", "en": "granted by"},
    "waiver_until": {"es": "vigente hasta", "en": "valid until"},
    "waiver_expired": {"es": "VENCIDA: no se aplica", "en": "EXPIRED: not applied"},
    "waiver_replaces": {"es": "dictamen sin dispensa", "en": "verdict without the waiver"},
    "exit": {"es": "Código de salida del comando", "en": "Command exit code"},
    "hash_title": {"es": "Integridad de este informe", "en": "Integrity of this report"},
    "hash_text": {
        "es": "Huella SHA-256 del contenido: se calcula sobre los datos del informe (el JSON "
        "canónico: claves ordenadas, UTF-8, sin este campo), de los que se generan todos los "
        "formatos (HTML, PDF, Markdown, JSON, JUnit); es la misma en todos. Además, cada archivo "
        "tiene su propia huella en ARCHIVO.sha256 (verifíquela con `sha256sum -c`).",
        "en": "SHA-256 of the content: computed over the report's data (the canonical JSON: "
        "sorted keys, UTF-8, without this field), from which every format (HTML, PDF, Markdown, "
        "JSON, JUnit) is rendered; it is the same in all of them. Each file also has its own "
        "hash in FILE.sha256 (check it with `sha256sum -c`).",
    },
    "rules_title": {"es": "Cómo se decide cada dictamen", "en": "How each verdict is decided"},
    "rules_text": {
        "es": "CUMPLE: todas las pruebas del requisito pasaron. NO CUMPLE: al menos una falló "
        "(se muestra el valor medido). REVISIÓN MANUAL: ninguna máquina puede decidirlo (o el "
        "servidor oculta el dato); el auditor revisa la evidencia indicada. NO APLICA: requisito "
        "opcional no presente, o prueba desde fuera sin punto de observación. DISPENSADO: existe "
        "una dispensa vigente con justificación escrita. El comando termina con 0 cuando todo "
        "requisito obligatorio cumple o está dispensado en todos los servidores, 1 cuando alguno "
        "no cumple o un servidor no se pudo auditar, 2 cuando no se pudo auditar ninguno.",
        "en": "PASS: every test of the requirement passed. FAIL: at least one failed (the "
        "measured value is shown). MANUAL: no machine can decide it (or the server hides the "
        "value); the auditor checks the evidence named. N/A: an optional requirement that is not "
        "present, or a probe from outside without a vantage point. WAIVED: a valid waiver with a "
        "written justification exists. The command exits 0 when every mandatory requirement "
        "passes or is waived on every server, 1 when one fails or a server could not be "
        "audited, 2 when no server could be audited.",
    },
    "page": {"es": "Página", "en": "Page"},
    "options": {"es": "Opciones de la auditoría", "en": "Audit options"},
    "duration": {"es": "Duración", "en": "Duration"},
    "kind_automated": {"es": "automática", "en": "automated"},
    "kind_probe": {"es": "desde fuera", "en": "probe from outside"},
    "kind_manual": {"es": "manual", "en": "manual"},
    "kind_optional": {"es": "opcional", "en": "optional"},
    "verdict_PASS": {"es": "CUMPLE", "en": "PASS"},
    "verdict_FAIL": {"es": "NO CUMPLE", "en": "FAIL"},
    "verdict_MANUAL": {"es": "REVISIÓN MANUAL", "en": "MANUAL"},
    "verdict_N/A": {"es": "NO APLICA", "en": "N/A"},
    "verdict_WAIVED": {"es": "DISPENSADO", "en": "WAIVED"},
    "test_pass": {"es": "pasó", "en": "passed"},
    "test_fail": {"es": "falló", "en": "failed"},
    "test_error": {"es": "error", "en": "error"},
    "test_manual": {"es": "no decidible", "en": "undecidable"},
    "test_na": {"es": "no aplica", "en": "not applicable"},
    "overall_ok": {
        "es": "Todos los requisitos obligatorios cumplen o están dispensados.",
        "en": "Every mandatory requirement passes or is waived.",
    },
    "overall_fail": {
        "es": "Hay requisitos obligatorios que no cumplen, o servidores que no se pudieron "
        "auditar.",
        "en": "Some mandatory requirements fail, or some servers could not be audited.",
    },
    "overall_none": {
        "es": "No se pudo auditar ningún servidor.",
        "en": "No server could be audited.",
    },
}
LANGS = ("es", "en")


class Messages:
    """t("title") -> the text in the report's language."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}: {', '.join(LANGS)}")
        self.lang = lang

    def __call__(self, key: str, **values: Any) -> str:
        text = MESSAGES[key][self.lang]
        return text.format(**values) if values else text

    def verdict(self, code: str) -> str:
        return self(f"verdict_{code}")

    def kind(self, kind: str) -> str:
        return self(f"kind_{kind}")

    def test_status(self, status: str) -> str:
        return self(f"test_{status}")
