"""The words of the memoria técnica, in Spanish (default) and English."""

from __future__ import annotations

from typing import Any

from difusor.memoria.incidents import Incident
from difusor.memoria.period import short
from difusor.stats.render import duration

TEXT: dict[str, dict[str, str]] = {
    "es": {
        "title": "Memoria técnica",
        "subtitle": "Difusor del PREP Veracruz 2024 - Proceso Electoral Local Ordinario 2023-2024",
        "draft": "BORRADOR generado automáticamente el {generated}: revise y complete antes de "
        "entregar.",
        "due": "Fecha límite de entrega: {due} (convocatoria, numeral VII.b), al contacto "
        "designado por el OPLE Veracruz.",
        "difusor": "Difusor",
        "hosts": "Servidores de publicación",
        "sources": "Fuentes: bitácora de eventos del publicador (journal.jsonl) y bitácoras de "
        "acceso del servidor web de cada servidor. Horas en Tiempo del Centro.",
        "s1": "1. Reporte de incidencias (VII.a.i)",
        "s1_intro": "Incidencias que se presentaron durante la operación y que pudieron afectar "
        "la publicación de los resultados preliminares (ventana de publicación VI.a: del 2 de "
        "junio de 2024 a las 20:00 al 9 de junio de 2024 a las 23:59).",
        "no_incidents": "No se registraron incidencias.",
        "publication": "Publicación",
        "published_cuts": "Cortes publicados",
        "first_cut": "Primer corte",
        "last_cut": "Último corte",
        "events": "Eventos registrados",
        "no_journal": "Sin bitácora de eventos.",
        "kind": "Tipo",
        "start": "Inicio",
        "end": "Fin",
        "duration": "Duración",
        "host": "Servidor",
        "detail": "Detalle",
        "open": "sin cerrar",
        "summary_by_kind": "Resumen por tipo",
        "count": "Número",
        "k_rejected": "Paquete rechazado",
        "k_late_cut": "Corte tardío",
        "k_late_arrival": "Publicación tardía",
        "k_stale": "Corte desactualizado",
        "k_notice": "Modo aviso",
        "k_rollback": "Regreso a un corte anterior",
        "k_silent": "Sin solicitudes registradas",
        "d_rejected": "{archive}: regla {rule}. {reason} El corte publicado se mantuvo.",
        "d_late_cut": "Sin corte nuevo entre el de {start} y el de {end} (cortes esperados que "
        "no llegaron: {missing}).",
        "d_late_arrival": "El corte de {start} se publicó a las {end} ({delay} después).",
        "d_stale": "El vigilante de actualización marcó el corte como {level}.",
        "d_stale_fresh": " Volvió a estar al día con el corte {cut}.",
        "d_notice": "Aviso en el portal ({who}). {reason}",
        "d_notice_auto": "automático",
        "d_rollback": "Se regresó al corte {cut} (antes {previous}).",
        "d_silent": "Ninguna solicitud en las bitácoras de acceso: posible caída del servicio o "
        "del registro.",
        "level_1": "atrasado (un periodo sin actualizar)",
        "level_2": "crítico (dos periodos)",
        "level_3": "incidencia (tres periodos, 45 minutos, V.ii.4)",
        "thresholds": "Criterios: corte tardío si pasan más de {gap} min entre cortes publicados; "
        "publicación tardía si el corte se publica más de {late} min después de su hora; sin "
        "solicitudes si pasan {silent} min o más sin ninguna solicitud.",
        "s2": "2. Estadísticas de visitas, páginas y hits del 2 al 9 de junio de 2024 (VII.a.ii)",
        "s2_intro": "Registro de eventos de los servidores de publicación según el numeral I.E: "
        "a. número de visitantes, b. número de páginas consultadas, c. listado de páginas "
        "consultadas, d. periodo de tiempo de permanencia.",
        "log_span": "Las bitácoras del periodo cubren del {first} al {last}.",
        "no_logs": "No se encontraron bitácoras de acceso del periodo: las estadísticas están "
        "vacías. Revise la retención de bitácoras (rol web_logs).",
        "s3": "3. Criterios de mejora y planeación (VII.a.iii)",
        "s3_intro": "Sección para completar por el equipo: criterios de mejora y planeación para "
        "la difusión de resultados electorales preliminares en futuras elecciones, así como "
        "comentarios y sugerencias para considerar en convocatorias posteriores.",
        "s3_prompts": "Infraestructura y capacidad (picos de visitas, tiempos de respuesta)|"
        "Recepción y verificación de paquetes (rechazos, retrasos)|Procedimientos de operación "
        "y contingencia (III.c.iii)|Comunicación con el OPLE Veracruz|Comentarios y sugerencias "
        "para convocatorias posteriores",
        "s3_from_data": "Observaciones que salen de los datos",
        "s3_rejected": "Se rechazaron {n} paquetes (reglas: {rules}): revisar con el OPLE el "
        "formato y la transferencia.",
        "s3_late": "Hubo {n} huecos entre cortes publicados: revisar la recepción y los avisos.",
        "s3_notice": "El portal mostró el aviso {n} veces: documentar causa y tiempo de respuesta.",
        "s3_peak": "La hora de más visitas fue {hour} ({visits} visitas iniciadas): dimensionar "
        "para ese pico.",
        "to_complete": "[por completar]",
    },
    "en": {
        "title": "Technical report (memoria técnica)",
        "subtitle": "PREP Veracruz 2024 difusor - Local Ordinary Electoral Process 2023-2024",
        "draft": "DRAFT generated automatically on {generated}: review and complete before "
        "delivery.",
        "due": "Due: {due} (call, VII.b), to the contact designated by OPLE Veracruz.",
        "difusor": "Difusor",
        "hosts": "Publication servers",
        "sources": "Sources: the publisher's event journal (journal.jsonl) and the web server's "
        "access logs of each server. Times in Tiempo del Centro.",
        "s1": "1. Incidents (VII.a.i)",
        "s1_intro": "Incidents during operation that may have affected the publication of the "
        "preliminary results (publication window VI.a: 2 June 2024 20:00 to 9 June 2024 23:59).",
        "no_incidents": "No incidents were recorded.",
        "publication": "Publication",
        "published_cuts": "Cuts published",
        "first_cut": "First cut",
        "last_cut": "Last cut",
        "events": "Events recorded",
        "no_journal": "No event journal.",
        "kind": "Kind",
        "start": "Start",
        "end": "End",
        "duration": "Duration",
        "host": "Server",
        "detail": "Detail",
        "open": "not closed",
        "summary_by_kind": "Summary by kind",
        "count": "Count",
        "k_rejected": "Package rejected",
        "k_late_cut": "Late cut",
        "k_late_arrival": "Late publication",
        "k_stale": "Stale cut",
        "k_notice": "Notice mode",
        "k_rollback": "Rollback to an earlier cut",
        "k_silent": "No requests logged",
        "d_rejected": "{archive}: rule {rule}. {reason} The live cut stayed.",
        "d_late_cut": "No new cut between {start} and {end} ({missing} expected cuts missing).",
        "d_late_arrival": "The {start} cut was published at {end} ({delay} later).",
        "d_stale": "The freshness watchdog marked the cut {level}.",
        "d_stale_fresh": " Fresh again with cut {cut}.",
        "d_notice": "Notice on the portal ({who}). {reason}",
        "d_notice_auto": "automatic",
        "d_rollback": "Cut {cut} made live again (was {previous}).",
        "d_silent": "No request at all in the access logs: a possible outage of the site or of "
        "its logging.",
        "level_1": "late (one period missed)",
        "level_2": "critical (two periods)",
        "level_3": "incident (three periods, 45 minutes, V.ii.4)",
        "thresholds": "Criteria: late cut when more than {gap} min pass between published cuts; "
        "late publication when a cut goes live more than {late} min after its time; no requests "
        "when {silent} min or more pass without any request.",
        "s2": "2. Statistics of visits, pages and hits, 2 to 9 June 2024 (VII.a.ii)",
        "s2_intro": "Events of the publication servers as required by I.E: a. number of "
        "visitors, b. number of pages viewed, c. list of pages viewed, d. time on site.",
        "log_span": "The logs of the period cover {first} to {last}.",
        "no_logs": "No access logs of the period were found: the statistics are empty. Check "
        "the log retention (role web_logs).",
        "s3": "3. Improvement criteria and planning (VII.a.iii)",
        "s3_intro": "For the team to complete: improvement and planning criteria for publishing "
        "preliminary election results in future elections, and comments and suggestions for "
        "future calls.",
        "s3_prompts": "Infrastructure and capacity (visit peaks, response times)|Receiving and "
        "verifying packages (rejections, delays)|Operation and contingency procedures (III.c.iii)"
        "|Communication with OPLE Veracruz|Comments and suggestions for future calls",
        "s3_from_data": "Observations from the data",
        "s3_rejected": "{n} packages were rejected (rules: {rules}): review the format and the "
        "transfer with OPLE.",
        "s3_late": "There were {n} gaps between published cuts: review reception and alerts.",
        "s3_notice": "The portal showed the notice {n} times: record cause and response time.",
        "s3_peak": "The busiest hour was {hour} ({visits} visits started): size for that peak.",
        "to_complete": "[to complete]",
    },
}


def describe(incident: Incident, lang: str) -> str:
    """The detail column of an incident."""
    text = TEXT[lang]
    fields: dict[str, Any] = dict(incident.fields)
    kind = incident.kind
    if kind == "rejected":
        reason = str(fields["reason"]).strip()
        fields["reason"] = reason if not reason or reason.endswith(".") else reason + "."
        return text["d_rejected"].format(**fields).replace("  ", " ")
    if kind == "late_cut":
        return text["d_late_cut"].format(
            start=short(incident.start), end=short(incident.end), missing=fields["missing"]
        )
    if kind == "late_arrival":
        return text["d_late_arrival"].format(
            start=short(incident.start),
            end=short(incident.end),
            delay=duration(fields["delay_s"]),
        )
    if kind == "stale":
        said = text["d_stale"].format(level=text[f"level_{fields['level']}"])
        if fields.get("fresh_cut"):
            said += text["d_stale_fresh"].format(cut=fields["fresh_cut"])
        return said
    if kind == "notice":
        who = text["d_notice_auto"] if fields["auto"] else fields["by"]
        return text["d_notice"].format(who=who, reason=fields["reason"]).strip()
    if kind == "rollback":
        return text["d_rollback"].format(cut=fields["cut"], previous=fields["previous"] or "-")
    return text["d_silent"]
