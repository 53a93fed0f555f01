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
    "id_hostname": {"es": "Nombre del servidor", "en": "Host name"},
    "id_machine_id": {"es": "machine-id", "en": "machine-id"},
    "id_os": {"es": "Sistema operativo", "en": "Operating system"},
    "id_kernel": {"es": "Núcleo", "en": "Kernel"},
    "id_virtualization": {"es": "Virtualización", "en": "Virtualization"},
    "id_addresses": {"es": "Direcciones", "en": "Addresses"},
    "id_clock_utc": {"es": "Reloj del servidor (UTC)", "en": "Server clock (UTC)"},
    "id_timezone": {"es": "Zona horaria del servidor", "en": "Server time zone"},
    "id_facts": {
        "es": "Hechos del servidor (rutas, operador; los escriben los roles)",
        "en": "Host facts (paths, operator; written by the roles)",
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

    def label(self, key: str, default: str) -> str:
        """The text of key, or default when the table has no such key."""
        return self(key) if key in MESSAGES else default

    def verdict(self, code: str) -> str:
        return self(f"verdict_{code}")

    def kind(self, kind: str) -> str:
        return self(f"kind_{kind}")

    def test_status(self, status: str) -> str:
        return self(f"test_{status}")


# What the checks measured, one sentence per outcome (difusor.compliance.checks.msg keys).
CHECK_TEXTS: dict[str, dict[str, str]] = {
    "join": {"es": "{parts}", "en": "{parts}"},
    "os_not_allowed": {"es": "{pretty}: no es {ids}", "en": "{pretty}: not {ids}"},
    "os_not_lts": {
        "es": "{pretty}: no es una versión estable LTS ({lts})",
        "en": "{pretty}: not a stable LTS release ({lts})",
    },
    "os_recommended": {"es": "{pretty} (la recomendada)", "en": "{pretty} (recommended)"},
    "os_supported": {
        "es": "{pretty} (aceptada; se recomienda {recommended})",
        "en": "{pretty} (supported; {recommended} recommended)",
    },
    "ram": {
        "es": "MemTotal {gb:.2f} GB ({gib:.2f} GiB); se requiere >= {min} GB = {min_gib:.2f} GiB",
        "en": "MemTotal {gb:.2f} GB ({gib:.2f} GiB); required >= {min} GB = {min_gib:.2f} GiB",
    },
    "cpu_few": {
        "es": "{cores} CPU ({ghz:.2f} GHz); se requieren >= {min_cores}",
        "en": "{cores} CPUs ({ghz:.2f} GHz); required >= {min_cores}",
    },
    "cpu_few_unknown": {
        "es": "{cores} CPU (frecuencia desconocida); se requieren >= {min_cores}",
        "en": "{cores} CPUs (frequency unknown); required >= {min_cores}",
    },
    "cpu_unknown": {
        "es": "{cores} CPU; frecuencia desconocida ({source})",
        "en": "{cores} CPUs; frequency unknown ({source})",
    },
    "cpu": {
        "es": "{cores} CPU a {ghz:.2f} GHz máx. ({source}); se requieren {min_cores} x "
        "{min_ghz} GHz",
        "en": "{cores} CPUs at {ghz:.2f} GHz max ({source}); required {min_cores} x {min_ghz} GHz",
    },
    "disk_small": {
        "es": "{gb:.1f} GB (decimales); se requieren >= {min} GB",
        "en": "{gb:.1f} GB (decimal); required >= {min} GB",
    },
    "disk_ssd": {
        "es": "{gb:.1f} GB (decimales), >= {min} GB; estado sólido (rotational=0)",
        "en": "{gb:.1f} GB (decimal), >= {min} GB; solid state (rotational=0)",
    },
    "disk_unknown": {
        "es": "{gb:.1f} GB (decimales), >= {min} GB; tipo de disco desconocido ({virt})",
        "en": "{gb:.1f} GB (decimal), >= {min} GB; disk type unknown ({virt})",
    },
    "disk_vm_rotational": {
        "es": "{gb:.1f} GB (decimales), >= {min} GB; rotational=1 en una VM {virt}: el hipervisor "
        "puede ocultar un SSD, decide la ficha del proveedor",
        "en": "{gb:.1f} GB (decimal), >= {min} GB; rotational=1 in a {virt} guest: the hypervisor "
        "may hide an SSD, the provider's specification decides",
    },
    "disk_hdd": {
        "es": "{gb:.1f} GB (decimales); disco rotacional (rotational=1) en equipo físico",
        "en": "{gb:.1f} GB (decimal); rotational disk (rotational=1) on bare metal",
    },
    "tz_ok": {
        "es": "{zone} el {probe}: {offset}, se espera {expected}",
        "en": "{zone} at {probe}: {offset}, expected {expected}",
    },
    "tz_bad": {
        "es": "{zone} el {probe}: {offset}, se espera {expected} (tzdata anterior a 2022: aún con "
        "horario de verano)",
        "en": "{zone} at {probe}: {offset}, expected {expected} (tzdata older than 2022: daylight "
        "saving still on)",
    },
    "chrony_unsynced": {
        "es": "no sincronizado (Reference ID {reference}, {leap})",
        "en": "not synchronized (Reference ID {reference}, {leap})",
    },
    "chrony_offset": {
        "es": "sincronizado con {reference} pero desfase {offset} ms > {limit}",
        "en": "synchronized to {reference} but offset {offset} ms > {limit}",
    },
    "chrony_ok": {
        "es": "sincronizado con {reference}, estrato {stratum}, desfase {offset:.3f} ms",
        "en": "synchronized to {reference}, stratum {stratum}, offset {offset:.3f} ms",
    },
    "sshd": {
        "es": "sshd en puerto(s) {ports}; métodos: {methods}",
        "en": "sshd on port(s) {ports}; methods: {methods}",
    },
    "sudo_ok": {
        "es": "{user} puede ejecutar cualquier comando como root: {rule}",
        "en": "{user} may run any command as root: {rule}",
    },
    "sudo_no": {
        "es": "{user} no tiene una regla que conceda ALL como root",
        "en": "{user} has no rule granting ALL as root",
    },
    "fw_inactive": {"es": "ufw no está activo", "en": "ufw is not active"},
    "fw_default": {
        "es": "la política de entrada por omisión es {policy}",
        "en": "default incoming policy is {policy}",
    },
    "fw_public_closed": {
        "es": "{port}/tcp no está abierto a cualquier origen",
        "en": "{port}/tcp not open to any source",
    },
    "fw_trusted_open": {
        "es": "{port}/tcp abierto a cualquier origen (sólo debe ser de confianza)",
        "en": "{port}/tcp open to any source (trusted sources only)",
    },
    "fw_trusted_none": {
        "es": "{port}/tcp no se permite desde ningún origen",
        "en": "{port}/tcp allowed from no source",
    },
    "fw_other_open": {
        "es": "otros puertos abiertos a cualquier origen: {ports}",
        "en": "other ports open to any source: {ports}",
    },
    "fw_ok": {
        "es": "entrada denegada por omisión; {public} desde cualquier origen; {trusted}",
        "en": "deny by default; {public} from anywhere; {trusted}",
    },
    "fw_from": {"es": "{port} desde {sources}", "en": "{port} from {sources}"},
    "exposure": {
        "es": "en escucha {listening}; alcanzables {reachable}; bloqueados por el firewall "
        "{blocked}",
        "en": "listening {listening}; reachable {reachable}; blocked by the firewall {blocked}",
    },
    "exposure_idle": {
        "es": "en escucha {listening}; alcanzables {reachable}; bloqueados por el firewall "
        "{blocked}; nada escucha en {idle}",
        "en": "listening {listening}; reachable {reachable}; blocked by the firewall {blocked}; "
        "nothing listens on {idle}",
    },
    "public_ip_ok": {
        "es": "dirección(es) pública(s): {public}",
        "en": "public address(es): {public}",
    },
    "public_ip_no": {
        "es": "ninguna interfaz tiene dirección pública ({addresses}); detrás de un NAT 1:1, "
        "muestre la asignación del proveedor y dispénselo",
        "en": "no public address on any interface ({addresses}); behind a 1:1 NAT, show the "
        "provider's assignment and waive",
    },
    "manifest_none": {
        "es": "no hay un {name} utilizable en el corte vivo",
        "en": "no usable {name} in the live cut",
    },
    "manifest_changed": {"es": "modificados: {paths}", "en": "changed: {paths}"},
    "manifest_missing": {"es": "faltan: {paths}", "en": "missing: {paths}"},
    "manifest_foreign": {
        "es": "no están en el manifiesto: {paths}",
        "en": "not in the manifest: {paths}",
    },
    "manifest_ok": {
        "es": "{count} archivos iguales a {name}; {siblings} copias precomprimidas se "
        "descomprimen en el contenido listado",
        "en": "{count} files equal to {name}; {siblings} precompressed copies decompress to the "
        "listed content",
    },
    "page_cut_ok": {
        "es": "la página muestra el corte: {shown}",
        "en": "the page shows the cut: {shown}",
    },
    "page_cut_no": {
        "es": "la página no muestra ninguno de {expected}",
        "en": "the page shows none of {expected}",
    },
    "age_outside": {
        "es": "fuera de la ventana de publicación ({start} - {end}): última publicación {last}",
        "en": "outside the publication window ({start} - {end}): last publication {last}",
    },
    "age_never": {"es": "nunca", "en": "never"},
    "age_minutes": {"es": "hace {minutes:.0f} min", "en": "{minutes:.0f} min ago"},
    "age_none": {
        "es": "el journal no registra ninguna publicación",
        "en": "no publication recorded in the journal",
    },
    "age": {
        "es": "última publicación hace {minutes:.1f} min; límite {limit:.0f} min "
        "(actualizaciones cada {period} min)",
        "en": "last publication {minutes:.1f} min ago; limit {limit:.0f} min "
        "(updates every {period} min)",
    },
    "log_none": {
        "es": "no hay líneas en el registro de accesos",
        "en": "no access log lines found",
    },
    "log_malformed": {
        "es": "{malformed} de {lines} líneas revisadas no están en un formato que lean las "
        "estadísticas (JSON como lo escribe el rol prep_web, o el formato combinado): "
        "`difusor stats` las contaría como mal formadas",
        "en": "{malformed} of {lines} sampled lines are in no format the statistics read (JSON "
        "as role prep_web writes it, or the combined format): `difusor stats` would count them "
        "as malformed",
    },
    "log_incomplete": {
        "es": "las líneas del registro de accesos no tienen cliente, hora o petición",
        "en": "access log lines lack client, time or request",
    },
    "log_ok": {
        "es": "{complete}/{lines} líneas revisadas tienen cliente, hora y página (de ahí salen "
        "visitantes, páginas, listado y permanencia)",
        "en": "{complete}/{lines} sampled lines carry client, time and page (visitors, pages, "
        "list of pages, time on site derive from them)",
    },
    # tests/compliance
    "link": {
        "es": "interfaz {interface}: enlace de {mbps} Mb/s ({duplex}); los {required} Mbps "
        "simétricos contratados requieren la constancia del proveedor",
        "en": "interface {interface}: link {mbps} Mb/s ({duplex}); the contracted {required} "
        "Mbps symmetric bandwidth needs the provider's proof",
    },
    "host_tz": {
        "es": "zona horaria {shown}; se espera {zone}",
        "en": "time zone {shown}; expected {zone}",
    },
    "ntp_out": {
        "es": "salida permitida por omisión: {default}; regla {port}/udp ALLOW OUT: {rule}",
        "en": "outgoing default allow: {default}; rule {port}/udp ALLOW OUT: {rule}",
    },
    "fail2ban": {
        "es": "fail2ban {state}; jaula sshd {jail}",
        "en": "fail2ban {state}; sshd jail {jail}",
    },
    "probe": {
        "es": "{address}:{port}/tcp desde el punto {side}: {seen}, se espera {expected}",
        "en": "{address}:{port}/tcp from the {side} vantage: {seen}, expected {expected}",
    },
    "word_open": {"es": "abierto", "en": "open"},
    "word_closed": {"es": "cerrado", "en": "closed"},
    "side_trusted": {"es": "de confianza", "en": "trusted"},
    "side_untrusted": {"es": "no confiable", "en": "untrusted"},
    "portal_no_url": {
        "es": "no se indicó la URL del portal (--portal-url)",
        "en": "no portal URL given (--portal-url)",
    },
    "portal_cert": {
        "es": "{url} vía {address}: curl rc {rc} {out} {err}; válido {days} días más: {valid}",
        "en": "{url} via {address}: curl rc {rc} {out} {err}; valid for {days} more days: {valid}",
    },
    "operator": {
        "es": "{user}: existe {exists}, shell {shell}, llaves autorizadas {keys}, "
        "contraseña {password}",
        "en": "{user}: exists {exists}, shell {shell}, authorized keys {keys}, "
        "password set {password}",
    },
    "docker": {
        "es": "docker.service {state}; motor {engine}",
        "en": "docker.service {state}; engine {engine}",
    },
    "live_cut": {
        "es": "corte vivo {cut} ({moment}), de hace {hours:.1f} h",
        "en": "live cut {cut} ({moment}), {hours:.1f} h old",
    },
    "no_live_cut": {
        "es": "no hay corte vivo en {root}/current",
        "en": "no live cut under {root}/current",
    },
    "no_package_yet": {
        "es": "aún no ha llegado ningún paquete ({journal} no existe): no hay publicación que "
        "juzgar; envíe un paquete de simulacro y audite de nuevo",
        "en": "no package has arrived yet ({journal} absent): nothing published to judge; push "
        "a drill package and audit again",
    },
    "journal_absent": {
        "es": "aún no hay journal {path}; releases: {releases}; {unit} {state}",
        "en": "no journal {path} yet; releases: {releases}; {unit} {state}",
    },
    "journal_absent_ok": {
        "es": "aún no hay journal {path}; releases: {releases}; {unit} {state}; el journal empieza "
        "con la primera llegada",
        "en": "no journal {path} yet; releases: {releases}; {unit} {state}; the journal starts "
        "with the first arrival",
    },
    "journal": {
        "es": "journal {path}: {events} eventos recientes, {failures} fallas registradas",
        "en": "journal {path}: {events} recent events, {failures} failures recorded",
    },
    "no_live_cut_waiting": {
        "es": "no hay corte vivo en {root}/current y {count} archivo(s) esperan en {incoming}",
        "en": "no live cut under {root}/current while {count} file(s) wait in {incoming}",
    },
    "journal_absent_waiting": {
        "es": "aún no hay journal {path} y {count} archivo(s) esperan en {incoming}: el "
        "publicador no ha registrado su llegada",
        "en": "no journal {path} yet while {count} file(s) wait in {incoming}: the publisher "
        "has not recorded their arrival",
    },
    "arrivals_ok": {
        "es": "ningún archivo espera en {incoming} más de {limit:.0f} s (asentamiento {settle} s "
        "+ una pasada de respaldo de {period} s); hay {count}",
        "en": "no file has waited in {incoming} longer than {limit:.0f} s (settle {settle} s + "
        "one safety pass of {period} s); {count} there now",
    },
    "arrivals_waiting": {
        "es": "{count} archivo(s) llevan en {incoming} más de {limit:.0f} s (asentamiento "
        "{settle} s + una pasada de respaldo de {period} s) sin publicarse: {names}",
        "en": "{count} file(s) have waited in {incoming} longer than {limit:.0f} s (settle "
        "{settle} s + one safety pass of {period} s) without being published: {names}",
    },
    "arrivals_unlisted": {
        "es": "no se pudo listar el directorio de llegadas {incoming}: ningún paquete puede "
        "llegar ni publicarse",
        "en": "the incoming directory {incoming} could not be listed: no package can arrive "
        "or be published",
    },
    "unit_missing": {
        "es": "{unit} no está instalada (LoadState {load})",
        "en": "{unit} is not installed (LoadState {load})",
    },
    "unit_failed": {
        "es": "{unit} en estado fallido (resultado {result}, código de salida {status}, desde "
        "{since}): {line}",
        "en": "{unit} in failed state (result {result}, exit status {status}, since {since}): "
        "{line}",
    },
    "units_ok": {
        "es": "ninguna unidad del publicador en estado fallido: {states}",
        "en": "no publisher unit in failed state: {states}",
    },
    "receiver": {
        "es": "rsync {state}, en escucha en {port}: {listening}, módulos {modules}; "
        "{unit} {unit_state}",
        "en": "rsync {state}, listening on {port}: {listening}, modules {modules}; "
        "{unit} {unit_state}",
    },
    "notice_events": {"es": "journal: {counts}", "en": "journal: {counts}"},
    "https": {"es": "GET {url} -> {code} {err}", "en": "GET {url} -> {code} {err}"},
    "redirect": {"es": "GET {url} -> {code} {location}", "en": "GET {url} -> {code} {location}"},
    "protection_ok": {
        "es": "límites por cliente en el servidor web ({limits}); jaulas fail2ban: {jails}",
        "en": "per-client limits in the web server ({limits}); fail2ban jails: {jails}",
    },
    "protection_no": {
        "es": "sin protección propia: límites {limits}, jaulas web {jails}",
        "en": "no own protection: limits {limits}, web jails {jails}",
    },
    "csp_ok": {"es": "{header}: {policy}", "en": "{header}: {policy}"},
    "csp_no": {"es": "{header}: sin {directive}", "en": "{header}: no {directive}"},
    "served": {
        "es": "{same}/{total} archivos servidos idénticos al release",
        "en": "{same}/{total} files served identical to the release",
    },
    "served_diff": {
        "es": "{same}/{total} archivos servidos idénticos al release; distintos: {different}",
        "en": "{same}/{total} files served identical to the release; different: {different}",
    },
    "served_no_manifest": {
        "es": "no hay manifiesto en el corte vivo {cut}",
        "en": "no manifest in the live cut {cut}",
    },
    # A cluster (difusor.compliance.cluster): the parts, and why a check does not apply to one.
    "part_none": {"es": "un servidor único", "en": "a single server"},
    "part_receiver": {
        "es": "el nodo receptor de un clúster",
        "en": "a cluster's receiving node",
    },
    "part_web_node": {"es": "un nodo web de un clúster", "en": "a cluster's web node"},
    "part_balancer": {"es": "el balanceador de un clúster", "en": "a cluster's balancer"},
    "na_site": {
        "es": "{part} no sirve el sitio: lo sirven los nodos web",
        "en": "{part} serves no site: the web nodes do",
    },
    "na_packages": {
        "es": "{part} no recibe paquetes: los recibe, verifica y publica el nodo receptor",
        "en": "{part} receives no packages: the receiving node receives, verifies and "
        "publishes them",
    },
    "na_cut": {
        "es": "{part} no tiene cortes: los tienen el nodo receptor y los nodos web",
        "en": "{part} holds no cut: the receiving node and the web nodes do",
    },
    "na_distribution": {
        "es": "{part} no distribuye cortes: solo el nodo receptor de un clúster lo hace",
        "en": "{part} distributes no cut: only a cluster's receiving node does",
    },
    "na_balancing": {
        "es": "{part} no balancea: solo el balanceador de un clúster lo hace",
        "en": "{part} balances nothing: only a cluster's balancer does",
    },
    "na_portal": {
        "es": "{part} no es el portal: lo es el balanceador",
        "en": "{part} is not the portal: the balancer is",
    },
    "na_balancers_only": {
        "es": "{part}: el puerto {port} solo responde a los balanceadores; pruébelo desde uno",
        "en": "{part}: port {port} answers the balancers only; probe it from one",
    },
    "na_part": {
        "es": "{part}: la prueba aplica solo a {parts}",
        "en": "{part}: the check applies to {parts} only",
    },
    "balancer": {
        "es": "HAProxy {state}; backend prep_web: {up}/{total} servidores arriba; caídos: {down}; "
        "en mantenimiento: {maintenance}; corte del clúster {cut}; la verificación de salud "
        "exige el corte (/healthz?min=): {requires_cut}",
        "en": "HAProxy {state}; backend prep_web: {up}/{total} servers up; down: {down}; in "
        "maintenance: {maintenance}; the cluster's cut {cut}; the health check requires the cut "
        "(/healthz?min=): {requires_cut}",
    },
    "balancer_unreadable": {
        "es": "HAProxy {state}; el agente del balanceador no informó su estado: {error}",
        "en": "HAProxy {state}; the balancer agent reported no status: {error}",
    },
    "cluster_nodes": {
        "es": "corte vivo del nodo receptor {cut}: {same}/{total} nodos web lo sirven; "
        "atrasados: {behind}; sin respuesta: {unreachable}",
        "en": "the receiving node's live cut {cut}: {same}/{total} web nodes serve it; behind: "
        "{behind}; no answer: {unreachable}",
    },
    "cluster_nothing_live": {
        "es": "el nodo receptor aún no tiene corte vivo ({total} nodos web): envíe un paquete "
        "de simulacro y audite de nuevo",
        "en": "the receiving node has no live cut yet ({total} web nodes): push a drill package "
        "and audit again",
    },
    "cluster_no_nodes": {
        "es": "la configuración del clúster no nombra nodos web",
        "en": "the cluster settings name no web node",
    },
    "cluster_status_unreadable": {
        "es": "`difusor cluster status` no dio el estado del clúster: {output}",
        "en": "`difusor cluster status` gave no cluster status: {output}",
    },
}


def check_text(key: str, values: dict[str, Any], lang: str) -> str:
    """A check's sentence in a language; nested messages ([key, values]) render too."""

    def render(value: Any) -> Any:
        if isinstance(value, bool):
            return {"es": "sí", "en": "yes"}[lang] if value else "no"
        if isinstance(value, dict) and set(value) == {"key", "values"}:
            return check_text(value["key"], value["values"], lang)
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) and set(v) == {"key", "values"} for v in value)
        ):
            return "; ".join(render(v) for v in value)
        return value

    entry = CHECK_TEXTS.get(key)
    if entry is None:
        return f"{key}: {values}"
    return entry.get(lang, entry["en"]).format(**{k: render(v) for k, v in values.items()})
