"""The site of a synthetic results package, shaped like a real PREP single-page application.

A 2024 PREP site is an Angular build: `index.html` (the shell) loads hashed bundles
(`runtime.<hash>.js`, `polyfills.<hash>.js`, `vendor.<hash>.js`, `main.<hash>.js`,
`styles.<hash>.css`), the CSS names a web font, the results table shows a logo per candidacy,
and the app reads JSON per election and geography (`assets/data/<ELECTION>/entidad.json`,
`distrito/<N>.json`, `seccion/<N>/<page>.json`). Here, at a production build's sizes:

- the bundles, font, logos and favicon depend on the seed only (entity and elections), never on
  the cut: byte-identical across the cuts of a night, as a real build is (`static_files`,
  cached); their names carry the first 16 hex digits of their content's SHA-256;
- the JS and CSS are generated from vocabularies with a Zipf-like distribution (identifiers,
  property names, string literals, numbers, minified punctuation) and compress as real minified
  code does (gzip -9: about 4.5x for JS, 5-7x for CSS), never better, so that benchmarks of
  transfer and precompression see real sizes; the font is incompressible as woff2 is. The main
  bundle carries a real small loader among the filler: the page works in a browser;
- the data files name the cut inside (the app shows it) except the static catalogs
  (candidacies, the geography), which stay identical across cuts;
- `page_view` lists what one first view of the entity page fetches, in load order.

The numbers come from the results CSVs of the package (`synthetic.Table`), so the site and the
CSVs agree.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import random
import re
import struct
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path

from difusor.package import synthetic
from difusor.package.layout import Settings, cut_id, format_csv_cut

HASH_DIGITS = 16
SECTIONS_PER_PAGE = 25  # sections in one seccion/<N>/<page>.json file
BUNDLES = ("runtime", "polyfills", "vendor", "main")  # load order of the scripts
# Sizes of a production Angular build (bytes, drawn in the range by the seed).
SIZES = {
    "runtime": (2_800, 3_400),
    "polyfills": (33_000, 37_000),
    "vendor": (270_000, 330_000),
    "main": (470_000, 580_000),
    "styles": (70_000, 110_000),
    "font": (22_000, 36_000),
}
FONT_NAME = "sintetica-sans-latin-400"
DATA = "assets/data"
CATALOG = f"{DATA}/catalogos/entidad.json"
SUMMARY = f"{DATA}/resumen.json"
PARTY_COLORS = {
    "PAN": "#0a4b9c",
    "PRI": "#d4202c",
    "PRD": "#f7c600",
    "PVEM": "#3fa535",
    "PT": "#d8262d",
    "MC": "#ef7d00",
    "MORENA": "#a62a2a",
    "FXMV": "#e4007c",
}


def content_name(stem: str, suffix: str, content: bytes) -> str:
    """`stem.<hash>.suffix`: the name changes only when the content does."""
    return f"{stem}.{hashlib.sha256(content).hexdigest()[:HASH_DIGITS]}.{suffix}"


# --- vocabularies -------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SYLLABLES = _words(
    "ac al an ar as at be ca ce ch co con de di el en er es ex fi ge ha in is it la le li lo ma "
    "me mi mo na ne no on or pa pe po pr ra re ri ro sa se si so st su ta te ti to tr ul un ur va "
    "ve vi"
)
REAL_PROPERTIES = _words(
    "length push prototype call apply subscribe pipe next value get set has map filter forEach "
    "indexOf slice concat join keys then catch resolve reject error complete emit type data name "
    "id key options config parent children nativeElement detectChanges markForCheck ngOnInit "
    "ngOnDestroy ngOnChanges inject provide useValue useFactory factory token selector inputs "
    "outputs features decls vars consts template styles encapsulation changeDetection destroy "
    "unsubscribe closed add remove delete size hasOwnProperty toString split replace trim "
    "toLowerCase toUpperCase parse stringify assign create defineProperty freeze isArray from of "
    "bind target currentTarget preventDefault addEventListener removeEventListener style "
    "classList setAttribute getAttribute appendChild insertBefore removeChild createElement "
    "textContent innerHTML http router route params queryParams url headers body status ok json "
    "response request handle intercept observe responseType withCredentials reportProgress"
)
LOCALS = _words("e t n r i o s a l c u d h p f m g _ y v b w x C M E S k T D")
RESERVED = {"do", "if", "in", "for", "let", "new", "try", "var", "int"}
TAGS = _words("div span p a button table tr td th li ul img section header nav footer h2 h3")
CSS_PROPERTIES = _words(
    "display margin padding color background-color border font-size font-weight line-height width "
    "height position top left right bottom flex align-items justify-content border-radius "
    "box-shadow transition opacity z-index overflow text-align cursor min-width max-width gap "
    "grid-template-columns transform outline white-space letter-spacing text-transform "
    "vertical-align content pointer-events flex-direction"
)
CSS_KEYWORDS = _words(
    "block flex none inline-block relative absolute center auto hidden pointer solid transparent "
    "inherit 0 1 100% normal nowrap bold uppercase space-between column wrap ellipsis ease-in-out"
)


# Fragments every minified bundle repeats (placeholders: two local names).
IDIOMS = (
    'Object.defineProperty({a},"__esModule",{{value:!0}})',
    "return this",
    "this.destroy$.next(),this.destroy$.complete()",
    "this.changeDetectorRef.markForCheck()",
    "{a}=null=={b}?void 0:{b}.length",
    "void 0==={a}&&({a}={{}})",
    "return {a}&&{a}.__esModule?{a}:{{default:{a}}}",
    'if("function"!=typeof {a})throw new TypeError("Expected a function")',
    "{a}.prototype=Object.create({b}.prototype),{a}.prototype.constructor={a}",
    "return new({a}||Promise)(function({b}){{{b}()}})",
    "{a}=Object.assign({{}},{b})",
    "this.subscriptions.push({a}.subscribe({b}=>this.update({b})))",
    "return {a}.pipe((0,{b}.map)(e=>e.data))",
    '{a}.setAttribute("aria-label",{b})',
    "for(var {a} in {b})Object.prototype.hasOwnProperty.call({b},{a})&&(t[{a}]={b}[{a}])",
    "{a}.ɵfac=function({b}){{return new({b}||{a})}}",
    'return"string"==typeof {a}?{a}:String({a})',
    "{a}=Array.isArray({b})?{b}:[{b}]",
)


class Vocabulary:
    """Words drawn with a Zipf-like distribution (weight of rank r: 1 / r**exponent), from a
    table of 65,536 slots (a word holds slots by its weight, at least one) indexed by seeded
    random bytes in batches: a megabyte of code takes a tenth of a second."""

    BATCH = 8192
    SLOTS = 1 << 16

    def __init__(self, words: list, exponent: float, rng: random.Random) -> None:
        weights = [1 / (rank + 1) ** exponent for rank in range(len(words))]
        scale = self.SLOTS / sum(weights)
        table: list = []
        for word, weight in zip(words, weights, strict=True):
            table += [word] * max(1, round(weight * scale))
        # Exactly SLOTS entries (rounding leaves a few more or less: the rarest or the first).
        self.table = (table + [words[0]] * self.SLOTS)[: self.SLOTS]
        self.rng = rng
        self._batch: Iterator = iter(())

    def __call__(self):
        try:
            return next(self._batch)
        except StopIteration:
            draws = memoryview(self.rng.randbytes(2 * self.BATCH)).cast("H")
            self._batch = map(self.table.__getitem__, draws)
            return next(self._batch)


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


def _pool(rng: random.Random, size: int, make: Callable[[], str], head: list[str]) -> list[str]:
    """`head` then distinct words from `make` up to `size`, shuffled after the head."""
    seen = dict.fromkeys(head)
    while len(seen) < size:
        seen.setdefault(make(), None)
    words = list(seen)
    tail = words[len(head) :]
    rng.shuffle(tail)
    return words[: len(head)] + tail


class Filler:
    """Minified-looking code from seeded vocabularies: valid JavaScript (module factories that
    are defined, never run) and CSS."""

    def __init__(self, seed: str) -> None:
        rng = random.Random(f"difusor-site:{seed}")
        self.rng = rng
        chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$"
        digits = chars + "0123456789"

        def mangled() -> str:
            name = rng.choice(chars) + "".join(
                rng.choice(digits) for _ in range(rng.choice((1, 1, 2)))
            )
            return "Xx" if name in RESERVED else name

        def prop() -> str:
            first = _word(rng, rng.choice((1, 2, 2, 3)))
            rest = "".join(_word(rng, 2).capitalize() for _ in range(rng.choice((0, 1, 1, 2))))
            return first + rest

        def text() -> str:
            kind = rng.random()
            if kind < 0.45:
                return "-".join(
                    _word(rng, rng.choice((1, 2, 3))) for _ in range(rng.choice((1, 2, 3)))
                )
            if kind < 0.8:
                return " ".join(
                    _word(rng, rng.choice((1, 2, 3))) for _ in range(rng.choice((2, 3, 5)))
                )
            return f"{rng.getrandbits(40):x}"

        self.local = Vocabulary(LOCALS, 1.8, rng)
        self.glob = Vocabulary(_pool(rng, 800, mangled, []), 1.4, rng)
        self.prop = Vocabulary(_pool(rng, 900, prop, REAL_PROPERTIES), 1.55, rng)
        self.text = Vocabulary(_pool(rng, 900, text, []), 1.5, rng)
        self.number = Vocabulary([str(n) for n in range(400)], 1.2, rng)
        self.tag = Vocabulary(TAGS, 1.0, rng)

        def css_class() -> str:  # a class name starts with a letter
            name = text().split(" ")[0]
            return name if name[0].isalpha() else f"c{name}"

        self.css_class = Vocabulary(_pool(rng, 700, css_class, []), 1.2, rng)
        self.css_prop = Vocabulary(CSS_PROPERTIES, 0.9, rng)
        self.css_word = Vocabulary(CSS_KEYWORDS, 1.0, rng)
        palette = [f"#{rng.getrandbits(24):06x}" for _ in range(80)]
        self.color = Vocabulary(palette, 1.2, rng)
        self.declaration = Vocabulary(
            _pool(rng, 1200, lambda: f"{self.css_prop()}:{self._value()}", []), 1.1, rng
        )
        self._statements = (
            self._assign_call,
            self._this_set,
            self._guard,
            self._nested_call,
            self._var,
            self._callback,
            self._object,
            self._ternary,
            self._loop,
            self._concat,
            self._chain,
            self._element,
            self._throw,
        )
        self.maker = Vocabulary([self._idiom, *self._statements], 0.8, rng)
        self.idiom = Vocabulary(list(IDIOMS), 1.0, rng)

    # JavaScript statements (no trailing separator).
    def _number(self) -> str:
        roll = self.rng.random()
        if roll < 0.85:
            return self.number()
        return (
            str(self.rng.randrange(400, 100_000)) if roll < 0.93 else f".{self.rng.randrange(1, 9)}"
        )

    def _pair(self) -> tuple[str, str]:
        first = self.local()
        second = self.local()
        return first, (second if second != first else f"{first}{self.rng.choice('0123')}")

    def _assign_call(self) -> str:
        return f'{self.local()}={self.local()}.{self.prop()}({self.local()},"{self.text()}")'

    def _this_set(self) -> str:
        return f"this.{self.prop()}={self.local()}"

    def _guard(self) -> str:
        test = f"{self.local()}.{self.prop()}==={self._number()}"
        return f"if({test})return {self.local()}.{self.prop()}"

    def _nested_call(self) -> str:
        return f"{self.local()}.{self.prop()}({self.glob()}({self.local()}),{self._number()})"

    def _var(self) -> str:
        return f"var {self.local()}={self.glob()}.{self.prop()}[{self._number()}]"

    def _callback(self) -> str:
        a, b = self._pair()
        return (
            f"{self.local()}&&{self.local()}.{self.prop()}(function({a},{b}){{return "
            f"{a}.{self.prop()}-{b}.{self.prop()}}})"
        )

    def _object(self) -> str:
        return (
            f'{self.local()}={{{self.prop()}:{self._number()},{self.prop()}:"{self.text()}",'
            f"{self.prop()}:{self.local()}}}"
        )

    def _ternary(self) -> str:
        return f"{self.local()}={self.local()}?{self.local()}.{self.prop()}:{self.glob()}"

    def _loop(self) -> str:
        index = self.local()
        return (
            f"for(var {index}=0;{index}<{self.local()}.length;{index}++)"
            f"{self.local()}.{self.prop()}({self.local()}[{index}])"
        )

    def _concat(self) -> str:
        return f'{self.local()}.{self.prop()}="{self.text()}"+{self.local()}+"{self.text()}"'

    def _chain(self) -> str:
        a = self.local()
        return f"{self.local()}.{self.prop()}().{self.prop()}({a}=>{a}.{self.prop()})"

    def _element(self) -> str:
        return f'{self.glob()}({self._number()},"{self.tag()}",{self._number()})'

    def _throw(self) -> str:
        return f'if(!{self.local()})throw new Error("{self.text()}")'

    def _idiom(self) -> str:
        a, b = self._pair()
        return self.idiom().format(a=a, b=b)

    def statements(self, count: int) -> str:
        """`count` statements joined as a minifier joins them (`;`)."""
        maker = self.maker
        return ";".join(maker()() for _ in range(count))

    def function(self) -> str:
        """A module factory or class, defined and never called."""
        rng = self.rng
        body = self.statements(rng.randrange(3, 14))
        roll = rng.random()
        if roll < 0.6:
            a, b = self._pair()
            return f"function({a},{b}){{{body};return {a}}}"
        if roll < 0.8:
            return f"({self.local()})=>{{{body}}}"
        methods = "".join(
            f"{self.prop()}({self.local()}){{{self.statements(rng.randrange(2, 8))}}}"
            for _ in range(rng.randrange(1, 4))
        )
        a, b = self._pair()
        return (
            f"{self.local()}=>class extends {self.glob()}{{constructor({a},{b}){{super(),"
            f"this.{self.prop()}={a},"
            f"this.{self.prop()}={b}}}{methods}}}"
        )

    def modules(self, size: int) -> str:
        """Webpack-style module factories (`id:function...`) up to about `size` bytes."""
        parts: list[str] = []
        total = 0
        offset = self.rng.randrange(90_000)
        index = 0
        while total < size:  # distinct 5-digit ids (7919 is prime to 90,000)
            part = f"{10_000 + (offset + index * 7919) % 90_000}:{self.function()}"
            index += 1
            parts.append(part)
            total += len(part) + 1
        return ",".join(parts)

    # CSS.
    def _selector(self) -> str:
        roll = self.rng.random()
        first = f".{self.css_class()}"
        if roll < 0.4:
            return first
        if roll < 0.6:
            return f"{first} .{self.css_class()}"
        if roll < 0.75:
            return f"{first}:{self.rng.choice(('hover', 'focus', 'active', 'disabled'))}"
        if roll < 0.9:
            return f"{first}>{self.tag()}"
        return f"{first},.{self.css_class()}"

    def _value(self) -> str:
        roll = self.rng.random()
        if roll < 0.35:
            return self.css_word()
        if roll < 0.6:
            return f"{self.number()}px"
        if roll < 0.8:
            return self.color()
        if roll < 0.9:
            return f"{self.number()}px {self.number()}px {self.color()}"
        return f".{self.rng.randrange(1, 99)}rem"

    def rule(self) -> str:
        declarations = ";".join(self.declaration() for _ in range(self.rng.randrange(1, 7)))
        return f"{self._selector()}{{{declarations}}}"

    def stylesheet(self, size: int) -> str:
        parts: list[str] = []
        total = 0
        while total < size:
            if self.rng.random() < 0.05:
                rules = "".join(self.rule() for _ in range(self.rng.randrange(2, 8)))
                part = f"@media (max-width:{self.rng.choice((599, 767, 959, 1279))}px){{{rules}}}"
            else:
                part = self.rule()
            parts.append(part)
            total += len(part)
        return "".join(parts)


# --- the static part: bundles, font, logos, favicon ----------------------------------------------


def _size(rng: random.Random, kind: str) -> int:
    low, high = SIZES[kind]
    return rng.randrange(low, high)


def loader(elections: tuple[str, ...]) -> str:
    """The real part of the main bundle: show the entity page of the first election, reload
    when resumen.json names another cut than the page (a new cut went live)."""
    config = json.dumps({"elecciones": list(elections), "datos": DATA}, separators=(",", ":"))
    return (
        '!function(){"use strict";var c=' + config + ",b=document.body,m=document.getElementById"
        '("resultados");function j(u){return fetch(u,{cache:"no-store"}).then(function(r){'
        'if(!r.ok)throw new Error(u+": "+r.status);return r.json()})}function x(s){return '
        'String(s).replace(/[&<>"]/g,function(k){return"&#"+k.charCodeAt(0)+";"})}'
        'j(c.datos+"/resumen.json").then(function(r){if(r.corte_id!==b.dataset.corte){'
        "location.reload();return}var e=c.elecciones[0];return Promise.all([j(c.datos+"
        '"/catalogos/entidad.json"),j(c.datos+"/"+e+"/candidaturas.json"),j(c.datos+"/"+e+'
        '"/entidad.json")]).then(function(a){var g=a[0],k=a[1],d=a[2],l={};k.candidaturas.'
        "forEach(function(q){l[q.clave]=q});var t=d.votos.map(function(v){var q=l[v.clave]||{};"
        'return"<tr><th>"+(q.logo?"<img src=\\""+x(q.logo)+"\\" alt=\\"\\" width=\\"32\\" '
        'height=\\"32\\"> ":"")+x(q.nombre||v.clave)+"</th><td>"+v.votos+"</td><td>"+'
        'v.porcentaje+" %</td></tr>"}).join("");m.innerHTML="<h2>"+x(d.eleccion.nombre)+" · "+'
        'x(g.entidad.nombre)+"</h2><p>Actas contabilizadas: "+d.actas.contabilizadas+" de "+'
        'd.actas.esperadas+" ("+d.actas.porcentaje_contabilizadas+" %)</p><table>"+t+'
        '"</table>"})}).catch(function(r){m.textContent="No se pudieron cargar los resultados: "'
        "+r.message})}();"
    )


def bundle(filler: Filler, size: int, chunk: int) -> str:
    """One webpack-style chunk: `(self.webpackChunkprep=...).push([[id],{modules}])`: the
    module factories are registered, never run."""
    head = f'"use strict";(self.webpackChunkprep=self.webpackChunkprep||[]).push([[{chunk}],{{'
    modules = filler.modules(size - len(head) - 4)
    return f"{head}{modules}}}]);\n"


def stylesheet(filler: Filler, size: int, font: str) -> str:
    """The app's CSS: the web font, the page's own rules, then a framework's worth of rules."""
    own = (
        f'@font-face{{font-family:"Sintetica Sans";font-style:normal;font-weight:400;'
        f'font-display:swap;src:url({font}) format("woff2")}}'
        'body{font-family:"Sintetica Sans",system-ui,sans-serif;margin:0 auto;max-width:72rem;'
        "padding:1rem;color:#1f2937}.aviso{background:#fde68a;padding:.5rem;font-weight:700}"
        "table{border-collapse:collapse}th,td{border-bottom:1px solid #ccc;padding:.25rem 1rem;"
        "text-align:left}th img{vertical-align:middle}"
    )
    return own + filler.stylesheet(size - len(own)) + "\n"


def font(rng: random.Random, size: int) -> bytes:
    """A woff2-looking font: the 48-byte header (`wOF2`, TrueType flavor, the sizes), a table
    directory of known tags, then incompressible bytes (woff2 is Brotli inside)."""
    tables = bytes(  # flags: the known-tag index (cmap, head, hhea, hmtx, maxp, name, OS/2,
        # post, glyf, loca), each with its original length as UIntBase128 (two bytes here)
        b
        for tag in (0, 1, 2, 3, 4, 5, 6, 7, 10, 11)
        for b in (tag, 0x80 | rng.randrange(1, 127), rng.randrange(128))
    )
    body = rng.randbytes(size - 48 - len(tables))
    # signature, flavor, length, numTables, reserved, totalSfntSize, totalCompressedSize,
    # version 1.0, then no metadata nor private block (five zeros)
    fields = (b"wOF2", 0x00010000, size, 10, 0, size * 2, len(body), 1, 0, *(0,) * 5)
    header = struct.pack(">4sIIHHIIHH5I", *fields)
    return header + tables + body


def logo(rng: random.Random, code: str, color: str) -> bytes:
    """A candidacy's SVG logo, 1-6 KB: its color, a traced emblem (path data), its acronym."""
    points = []
    x, y = 24.0, 8.0
    for _ in range(rng.randrange(20, 150)):
        x = min(46.0, max(2.0, x + rng.uniform(-6, 6)))
        y = min(46.0, max(2.0, y + rng.uniform(-6, 6)))
        c1 = f"{rng.uniform(-4, 4):.2f} {rng.uniform(-4, 4):.2f}"
        points.append(f"C{x - 1.5:.2f} {y + 1.1:.2f} {c1} {x:.2f} {y:.2f}")
    label = html.escape(code.replace("CAND_IND_", "IND "))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" width="48" height="48">'
        f"<title>{label}</title>"
        f'<rect width="48" height="48" rx="6" fill="{color}"/>'
        f'<path fill="#fff" fill-opacity=".35" d="M24 8{"".join(points)}Z"/>'
        f'<text x="24" y="30" font-family="sans-serif" font-size="11" font-weight="700" '
        f'text-anchor="middle" fill="#fff">{label}</text></svg>\n'
    )
    return svg.encode()


def favicon(color: str) -> bytes:
    """favicon.ico: one 16x16 32-bit image, a disc of `color`."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    pixels = b"".join(
        bytes((blue, green, red, 255)) if (col - 7.5) ** 2 + (row - 7.5) ** 2 < 56 else bytes(4)
        for row in range(16)
        for col in range(16)
    )
    image = struct.pack("<IiiHHIIiiII", 40, 16, 32, 1, 32, 0, len(pixels), 0, 0, 0, 0)
    image += pixels + bytes(64)  # AND mask: all visible (alpha decides)
    return (
        struct.pack("<HHH", 0, 1, 1)
        + struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(image), 22)
        + image
    )


def candidacies(entity: str) -> tuple[str, ...]:
    """The parties and independent candidacies of the entity's ballots (synthetic's column set):
    one logo each."""
    columns = synthetic.column_set(entity)
    return (*columns.parties, *(f"CAND_IND_{n}" for n in range(1, columns.independents + 1)))


def logo_path(code: str) -> str:
    return f"assets/img/partidos/{code}.svg"


def static_files(entity: str, elections: tuple[str, ...]) -> dict[str, bytes]:
    """The files that never change between cuts (the seed: entity and elections): bundles,
    styles, font, logos, favicon. Built once per process (a night's packages share them)."""
    return dict(_static_files(entity, elections))


@functools.lru_cache(maxsize=8)
def _static_files(entity: str, elections: tuple[str, ...]) -> dict[str, bytes]:
    seed = f"{entity}:{'+'.join(elections)}"
    rng = random.Random(f"difusor-site-static:{seed}")
    filler = Filler(seed)
    files: dict[str, bytes] = {}
    woff2 = font(rng, _size(rng, "font"))
    font_path = "assets/fonts/" + content_name(FONT_NAME, "woff2", woff2)
    files[font_path] = woff2
    css = stylesheet(filler, _size(rng, "styles"), font_path).encode()
    files[content_name("styles", "css", css)] = css
    for chunk, name in enumerate(BUNDLES):
        size = _size(rng, name)
        if name == "main":
            code = loader(elections)
            text = bundle(filler, size - len(code) - 1, 792) + code + "\n"
        else:
            text = bundle(filler, size, 100 + chunk * 37)
        data = text.encode()
        files[content_name(name, "js", data)] = data
    for code in candidacies(entity):
        color = PARTY_COLORS.get(code, "#4b5563")
        files[logo_path(code)] = logo(rng, code, color)
    files["favicon.ico"] = favicon("#7c2d12")
    return files


def bundle_path(files: Mapping[str, bytes], stem: str, suffix: str) -> str:
    """The hashed name of bundle `stem` among `files` (`main` -> `main.<hash>.js`)."""
    pattern = re.compile(rf"{re.escape(stem)}\.[0-9a-f]{{{HASH_DIGITS}}}\.{suffix}")
    return next(path for path in files if pattern.fullmatch(path))


# --- the data: JSON per election and geography ---------------------------------------------------

# A casilla in a seccion/<N>/<page>.json file: an array of these (`votos`: one per `columnas`).
CASILLA_FIELDS = ("clave", "casilla", "contabilizada", "votos", "total", "lista_nominal")
QUOTES = "'=\""  # around a key: '300001B0100 (PREP) or ="300001B0100" (cómputos)
SPECIAL_CELLS = ("N/A", "ILEGIBLE", "SIN DATO", "SIN ACTA")  # text a vote or total cell may hold


def _json(document: object, *, pretty: bool = False) -> bytes:
    """Compact JSON as an API writes it (catalogs and the summary indented)."""
    if pretty:
        return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _json_with(document: dict[str, object], key: str, items: list[str]) -> bytes:
    """`document` as compact JSON with a last member `key` whose value is the array of the
    already-encoded `items` (the casillas: thousands of them, written as text for speed)."""
    head = json.dumps(document, ensure_ascii=False, separators=(",", ":"))[:-1]
    return f'{head},"{key}":[{",".join(items)}]}}'.encode()


def _percent(part: int, whole: int) -> str:
    return f"{int(10000 * 100 * part / max(whole, 1)) / 10000:.4f}"


def _quote_cells(cells: str) -> str:
    """Comma-joined CSV cells as the members of a JSON array: numbers stay, text is quoted
    (`-`, `N/A`, `ILEGIBLE`...; cells never hold quotes, commas or backslashes)."""
    if "-" in cells:  # not captured: every cell is "-" or N/A (no negative numbers)
        cells = cells.replace("-", '"-"')
    for text in SPECIAL_CELLS:
        if text in cells:
            cells = cells.replace(text, f'"{text}"')
    return cells


class District:
    """What the site shows of a district's casillas: each casilla as JSON text by section, and
    the totals of its counted actas."""

    def __init__(self) -> None:
        self.sections: dict[int, list[str]] = {}
        self.captured_by_section: dict[int, int] = {}
        self.counted_votes: list[list[str]] = []
        self.expected = self.captured = self.nominal = 0

    def totals(self, width: int) -> tuple[dict[str, int], list[int]]:
        """(actas counts, votes per column) of the counted actas."""
        columns = zip(*self.counted_votes, strict=True)
        votes = [sum(map(int, filter(str.isdigit, column))) for column in columns]
        actas = {
            "esperadas": self.expected,
            "capturadas": self.captured,
            "contabilizadas": len(self.counted_votes),
            "lista_nominal": self.nominal,
        }
        return actas, votes or [0] * width


class Casillas:
    """The casillas of one results CSV (its rows under the per-casilla header), by district."""

    def __init__(self, table: synthetic.Table, entity: str, settings: Settings) -> None:
        lines = table.data.decode(settings.csv_encoding).split("\n")
        delimiter = settings.csv_delimiter
        header = lines[settings.csv_rows_header_line - 1].split(delimiter)
        where = {name: index for index, name in enumerate(header)}
        self.columns = synthetic.column_set(entity).vote_columns
        first = where[self.columns[0]]
        last = first + len(self.columns)
        key, district, section = where["CLAVE_CASILLA"], where["ID_DISTRITO"], where["SECCION"]
        kind, number = where["TIPO_CASILLA"], where["ID_CASILLA"]
        total, nominal = where["TOTAL_VOTOS_CALCULADO"], where["LISTA_NOMINAL"]
        state, code = where["CONTABILIZADA"], where["CODIGO_INTEGRIDAD"]
        self.districts = {n: District() for n in range(1, len(synthetic.DISTRICTS) + 1)}
        districts = self.districts
        pending: dict[str, str] = {}
        for line in lines[settings.csv_rows_header_line :]:
            cells = line.split(delimiter)
            if len(cells) < last or not cells[key]:  # the end, or out of the catalogue
                continue
            place = districts[int(cells[district])]
            votes = cells[first:last]
            joined = ",".join(votes)
            captured = cells[code] != "-"
            if captured:  # numbers, N/A where a candidacy does not run, rarely a text
                if "L" in joined or "S" in joined:  # ILEGIBLE, SIN DATO
                    joined = _quote_cells(joined)
                else:
                    joined = joined.replace("N/A", '"N/A"')
            else:  # all "-" but N/A: the same text for a district's pending casillas
                joined = pending.get(joined) or pending.setdefault(joined, _quote_cells(joined))
            counted = cells[state]
            shown_total = cells[total] if cells[total].isdigit() else f'"{cells[total]}"'
            at = int(cells[section])
            place.expected += 1
            if at in place.sections:
                place.sections[at].append(
                    f'["{cells[key].strip(QUOTES)}","{cells[kind]}{cells[number]}",{counted},'
                    f"[{joined}],{shown_total},{cells[nominal]}]"
                )
                place.captured_by_section[at] += captured
            else:
                place.sections[at] = [
                    f'["{cells[key].strip(QUOTES)}","{cells[kind]}{cells[number]}",{counted},'
                    f"[{joined}],{shown_total},{cells[nominal]}]"
                ]
                place.captured_by_section[at] = captured
            if captured:
                place.captured += 1
                if counted == "1":
                    place.counted_votes.append(votes)
                    place.nominal += int(cells[nominal])


def _actas(actas: dict[str, int], total_votes: int) -> dict[str, object]:
    return {
        **{key: actas[key] for key in ("esperadas", "capturadas", "contabilizadas")},
        "porcentaje_capturadas": _percent(actas["capturadas"], actas["esperadas"]),
        "porcentaje_contabilizadas": _percent(actas["contabilizadas"], actas["esperadas"]),
        "lista_nominal": actas["lista_nominal"],
        "participacion": _percent(total_votes, actas["lista_nominal"]),
    }


def _votes(columns: tuple[str, ...], votes: list[int]) -> list[dict[str, object]]:
    total = sum(votes)
    return [
        {"clave": column, "votos": vote, "porcentaje": _percent(vote, total)}
        for column, vote in zip(columns, votes, strict=True)
    ]


def election_data(
    election: synthetic.Election,
    table: synthetic.Table,
    casillas: Casillas,
    settings: Settings,
    cut: datetime,
) -> dict[str, bytes]:
    """One election's data files: entidad.json, distrito/<N>.json, seccion/<N>/<page>.json (the
    cut inside each), and its candidacies catalog (no cut: it never changes)."""
    code = election.code
    folder = f"{DATA}/{code}"
    stamp = {"corte": format_csv_cut(cut, settings), "corte_id": cut_id(cut, settings)}
    name = {"codigo": code, "nombre": synthetic.ELECTIONS.get(code, code)}
    files: dict[str, bytes] = {}
    districts = []
    width = len(casillas.columns)
    for number, (district_name, _town_id, town) in enumerate(synthetic.DISTRICTS, 1):
        place = casillas.districts[number]
        if not place.sections:  # a small package covers the first districts only
            continue
        actas, votes = place.totals(width)
        ordered = sorted(place.sections)
        pages = [
            ordered[start : start + SECTIONS_PER_PAGE]
            for start in range(0, len(ordered), SECTIONS_PER_PAGE)
        ]
        leader = max(range(width), key=votes.__getitem__) if any(votes) else None
        shown_actas = _actas(actas, sum(votes))
        districts.append(
            {
                "id": number,
                "nombre": district_name,
                **shown_actas,
                "primer_lugar": casillas.columns[leader] if leader is not None else None,
            }
        )
        files[f"{folder}/distrito/{number}.json"] = _json(
            {
                **stamp,
                "eleccion": name,
                "distrito": {"id": number, "nombre": district_name, "cabecera": town},
                "actas": shown_actas,
                "votos": _votes(casillas.columns, votes),
                "secciones": [
                    {
                        "seccion": section,
                        "casillas": len(place.sections[section]),
                        "capturadas": place.captured_by_section[section],
                        "pagina": page_number,
                    }
                    for page_number, page in enumerate(pages, 1)
                    for section in page
                ],
            }
        )
        for page_number, page in enumerate(pages, 1):
            files[f"{folder}/seccion/{number}/{page_number}.json"] = _json_with(
                {
                    **stamp,
                    "eleccion": code,
                    "distrito": number,
                    "pagina": page_number,
                    "columnas": list(casillas.columns),
                    "campos": list(CASILLA_FIELDS),
                },
                "secciones",
                [
                    f'{{"seccion":{section},"casillas":[{",".join(place.sections[section])}]}}'
                    for section in page
                ],
            )
    summary = table.summary
    entity_id, entity_name = synthetic.ENTITIES.get(election.entity, (30, election.entity))
    files[f"{folder}/entidad.json"] = _json(
        {
            **stamp,
            "eleccion": name,
            "entidad": {"id": entity_id, "nombre": entity_name},
            "actas": {
                "esperadas": int(summary["ACTAS_ESPERADAS"]),
                "capturadas": int(summary["ACTAS_CAPTURADAS"]),
                "contabilizadas": int(summary["ACTAS_CONTABILIZADAS"]),
                "fuera_catalogo": int(summary["ACTAS_FUERA_CATALOGO"]),
                "porcentaje_capturadas": summary["PORCENTAJE_ACTAS_CAPTURADAS"],
                "porcentaje_contabilizadas": summary["PORCENTAJE_ACTAS_CONTABILIZADAS"],
                "lista_nominal": int(summary["LISTA_NOMINAL_ACTAS_CONTABILIZADAS"]),
                "participacion": summary["PORCENTAJE_PARTICIPACION_CIUDADANA"],
            },
            "votos": _votes(casillas.columns, [table.votes[c] for c in casillas.columns]),
            "distritos": districts,
        }
    )
    files[f"{folder}/candidaturas.json"] = _json(candidacies_catalog(election), pretty=True)
    return files


def candidacies_catalog(election: synthetic.Election) -> dict[str, object]:
    """Who runs (static): each vote column with its name, color and logo."""
    logos = set(candidacies(election.entity))
    rows = []
    for column in synthetic.column_set(election.entity).vote_columns:
        parties = column[2:].split("_") if column.startswith("C_") else [column]
        rows.append(
            {
                "clave": column,
                "nombre": column.replace("_", " ")
                if column not in logos
                else (f"CANDIDATURA SINTÉTICA {column}"),
                "partidos": parties,
                "color": PARTY_COLORS.get(parties[0], "#4b5563"),
                "logo": logo_path(column) if column in logos else None,
            }
        )
    return {"eleccion": election.code, "candidaturas": rows}


def geography(
    casillas: Casillas, entity: str, elections: tuple[synthetic.Election, ...]
) -> dict[str, object]:
    """The entity's catalog (static): its elections and districts, each with its head town and
    its sections (a range: a district's sections follow one another)."""
    entity_id, entity_name = synthetic.ENTITIES.get(entity, (30, entity))
    return {
        "entidad": {"id": entity_id, "nombre": entity_name, "clave": entity},
        "elecciones": [
            {"codigo": e.code, "nombre": synthetic.ELECTIONS.get(e.code, e.code)} for e in elections
        ],
        "distritos": [
            {
                "id": number,
                "nombre": name,
                "cabecera": {"id": town_id, "nombre": town},
                "secciones": _range(casillas.districts[number].sections),
            }
            for number, (name, town_id, town) in enumerate(synthetic.DISTRICTS, 1)
            if casillas.districts[number].sections
        ],
    }


def _range(sections: Mapping[int, object]) -> dict[str, int] | None:
    if not sections:
        return None
    return {"desde": min(sections), "hasta": max(sections), "total": len(sections)}


# --- the page and the whole site ----------------------------------------------------------------


def index_html(
    cut: datetime,
    settings: Settings,
    static: Mapping[str, bytes],
    title: str,
    download: str,
) -> bytes:
    """The SPA shell: the cut in the body's data-corte, a meta and a visible <time> (I.H: the
    cut's date and time always shown, even before the app starts), the synthetic-data notice,
    the CSV link, then the bundles."""
    local = cut.astimezone(settings.tz)
    ident = cut_id(cut, settings)
    scripts = "\n".join(
        f'<script src="{bundle_path(static, name, "js")}" type="module"></script>'
        for name in BUNDLES
    )
    page = f"""<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} · corte {format_csv_cut(cut, settings)}</title>
<base href="./">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="prep-corte" content="{ident}">
<link rel="icon" type="image/x-icon" href="favicon.ico">
<link rel="stylesheet" href="{bundle_path(static, "styles", "css")}">
</head>
<body data-corte="{ident}">
<app-root>
<header>
<h1>Programa de Resultados Electorales Preliminares {synthetic.YEAR}</h1>
<p class="aviso">DATOS SINTÉTICOS DE PRUEBA: no son resultados reales.</p>
<p>Corte de información: <time id="corte" datetime="{local.isoformat()}">{format_csv_cut(cut, settings)}</time> (Tiempo del Centro)</p>
</header>
<main id="resultados"><p>Cargando resultados…</p></main>
<footer><a href="{html.escape(download)}">Base de datos (CSV)</a></footer>
</app-root>
<noscript>Active JavaScript para ver los resultados; la base de datos (CSV) está en el enlace de arriba.</noscript>
{scripts}
</body>
</html>
"""  # noqa: E501
    return page.encode()


def site_files(
    cut: datetime,
    tables: Mapping[str, synthetic.Table],
    elections: tuple[synthetic.Election, ...],
    settings: Settings,
    download: str,
) -> dict[str, bytes]:
    """Every file of the site for this cut: the static part (`static_files`), index.html,
    assets/data/resumen.json (the first election's summary and votes, the keys other tools
    read), the catalogs and each election's data."""
    entity = elections[0].entity
    static = static_files(entity, tuple(e.code for e in elections))
    first = elections[0]
    entity_name = synthetic.ENTITIES.get(entity, (30, entity))[1]
    election_name = synthetic.ELECTIONS.get(first.code, first.code)
    title = f"PREP {synthetic.YEAR} {entity_name.title()} · {election_name}"
    files = dict(static)
    files["index.html"] = index_html(cut, settings, static, title, download)
    parsed = {}
    for election in elections:
        parsed[election.code] = Casillas(tables[election.code], election.entity, settings)
        files.update(
            election_data(election, tables[election.code], parsed[election.code], settings, cut)
        )
    files[CATALOG] = _json(geography(parsed[first.code], entity, elections), pretty=True)
    table = tables[first.code]
    summary = {
        "corte": format_csv_cut(cut, settings),
        "corte_id": cut_id(cut, settings),
        "sintetico": True,
        "eleccion": election_name,
        "entidad": entity_name,
        "resumen": table.summary,
        "votos": table.votes,
    }
    files[SUMMARY] = (
        json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    ).encode()
    return files


_SCRIPT_RE = re.compile(r'<script[^>]*\ssrc="([^"]+)"')
_STYLE_RE = re.compile(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"')
_ICON_RE = re.compile(r'<link[^>]*rel="icon"[^>]*href="([^"]+)"')
_URL_RE = re.compile(r"url\(([^)]+\.woff2)\)")


def page_view(source: Mapping[str, bytes] | Path | str) -> list[str]:
    """The paths (relative to the site's root, in load order) that one first view of the entity
    page fetches: index.html, its stylesheet and scripts, the web font the CSS names, the
    favicon, then the data the app loads (resumen.json, the entity catalog, the first
    election's candidacies and entidad.json) and the logo of each candidacy shown.

    `source`: the package's files by path (`package_files`) or the directory they were
    extracted to (a release). Files that are not there are left out (an electoral body's own
    site may lack them)."""
    read, exists = _reader(source)
    page = (read("index.html") or b"").decode("utf-8", "replace")
    paths = ["index.html"]
    styles = _STYLE_RE.findall(page)
    paths += styles + _SCRIPT_RE.findall(page)
    for style in styles:
        paths += _URL_RE.findall((read(style) or b"").decode("utf-8", "replace"))
    paths += _ICON_RE.findall(page)
    catalog = _load(read, CATALOG)
    paths += [SUMMARY, CATALOG]
    logos: list[str] = []
    if catalog and catalog.get("elecciones"):
        folder = f"{DATA}/{catalog['elecciones'][0]['codigo']}"
        candidacies_file = f"{folder}/candidaturas.json"
        paths += [candidacies_file, f"{folder}/entidad.json"]
        listed = _load(read, candidacies_file) or {}
        logos = [row["logo"] for row in listed.get("candidaturas", []) if row.get("logo")]
    paths += logos
    return [path for path in dict.fromkeys(paths) if exists(path)]


def _reader(
    source: Mapping[str, bytes] | Path | str,
) -> tuple[Callable[[str], bytes | None], Callable[[str], bool]]:
    """(read a path's bytes or None, whether a path is there) in a file mapping or a tree."""
    if isinstance(source, Mapping):
        return source.get, source.__contains__
    root = Path(source)

    def read(path: str) -> bytes | None:
        target = root / path
        return target.read_bytes() if target.is_file() else None

    return read, lambda path: (root / path).is_file()


def _load(read: Callable[[str], bytes | None], path: str) -> dict | None:
    data = read(path)
    try:
        return json.loads(data) if data is not None else None
    except ValueError:
        return None
