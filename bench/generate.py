"""Synthetic records in the data/ format, for the benchmarks and the scale tests.

    python -m bench.generate N OUT_DIR [--seed S] [--invalid 0.02] [--real data]

writes N records (models, papers, organizations and a few reading lists) to OUT_DIR, in the
layout of data/ (OUT_DIR/models/*.yaml ...), with the real sources and vocabularies copied.

Realistic in shape: every synthetic record copies the *shape* of a real record of its kind
(which sources describe it, which keys each block has), and each value is drawn from the
real values of that key in that source, except values that must be unique or consistent
(names, ids, references, parameter counts and their declared maximum, dates, URLs, ORKG
ids), which are made up in the formats the sources use. Organizations are referenced with a
Zipf-skewed popularity (a few organizations make most models); models have 1-6 parameter
variants; models described by both lists have both blocks; papers and organizations are the
ones the models reference.

About ``--invalid`` (2% by default) of the records carry one defect, of every kind the shapes
catch (see DEFECTS: bad date, future date, negative count, unparseable count, declared
maximum that disagrees with the variants, unknown license or architecture, dangling
organization or paper, malformed ORKG id, a link that is not a URL, ...), cycling through the
kinds so that each appears once N * invalid >= the number of kinds (~50).

The output is a function of (N, seed, --invalid, the real data): the same arguments give the
same bytes. OUT_DIR/generated.json lists the defects written (file, kind) for the tests.

Mix of kinds: 60% models, 30% papers, the rest organizations, and one reading list per
10,000 records (at least three).
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / "data"

MODEL_SHARE = 0.60
PAPER_SHARE = 0.30
RECORDS_PER_READING_LIST = 10_000
READING_LIST_SOURCES = ("llm-paper-club", "ai-practitioners-guide", "noteworthy-ai-papers-2023")
ZIPF_S = 1.1
MONTHS = ["Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
COUNTRIES = ["United States", "China", "United Kingdom", "France", "Germany", "Canada", "Israel",
             "South Korea", "Japan", "United Arab Emirates"]
FIRST = ["Ada", "Alan", "Grace", "Yann", "Geoffrey", "Fei-Fei", "Andrew", "Ilya", "Noam", "Ashish",
         "Jacob", "Colin", "Tom", "Jared", "Hugo", "Percy", "Chelsea", "Oriol", "Quoc", "Jeff"]
LAST = ["Lovelace", "Turing", "Hopper", "LeCun", "Hinton", "Li", "Ng", "Sutskever", "Shazeer",
        "Vaswani", "Devlin", "Raffel", "Brown", "Kaplan", "Touvron", "Liang", "Finn", "Vinyals", "Le", "Dean"]

_CONS = "bdfghklmnprstvz"
_VOW = "aeiou"


def word(i: int) -> str:
    """A pronounceable word, unique for each i >= 0 (bijective base-75 syllables)."""
    out = []
    i += 1
    while i > 0:
        i -= 1
        i, r = divmod(i, 75)
        out.append(_CONS[r // 5] + _VOW[r % 5])
    return "".join(out)


# --- what the real data looks like ---------------------------------------------------------

@dataclass
class Template:
    top: list[str]                       # top-level keys, in order
    blocks: dict[str, list[str]]         # source id -> keys of its block, in order


class Real:
    """Shapes and value pools of the real records."""

    def __init__(self, real_dir: Path):
        sys.path.insert(0, str(ROOT / "src"))
        from llmkg.records.read import load_records

        rs = load_records(real_dir)
        self.templates: dict[str, list[Template]] = {}
        self.pools: dict[tuple, list] = {}
        for rec in sorted(rs.records, key=lambda r: (r.kind, r.id)):
            blocks = rec.data.get("sources") if isinstance(rec.data.get("sources"), dict) else {}
            self.templates.setdefault(rec.kind, []).append(Template(
                # (curated resolutions are not drawn: a resolution copied to another record
                # would contradict its own sources' statements)
                [k for k in rec.data if k not in ("sources", "curated")],
                {sid: list(b) for sid, b in blocks.items() if isinstance(b, dict)}))
            for k, v in rec.data.items():
                if k not in ("sources", "sections", "curated") and v is not None:
                    self.pools.setdefault((rec.kind, None, k), []).append(v)
            for sid, b in blocks.items():
                for k, v in (b or {}).items():
                    if v is not None:
                        self.pools.setdefault((rec.kind, sid, k), []).append(v)
            if rec.kind == "reading-list":
                for sec in rec.data.get("sections") or []:
                    if isinstance(sec, dict):
                        self.pools.setdefault(("section", None, "title"), []).append(sec.get("title"))
                        for e in sec.get("papers") or []:
                            if isinstance(e, dict) and e.get("note"):
                                self.pools.setdefault(("entry", None, "note"), []).append(e["note"])
        self.titles = [r.data["title"] for r in rs.by_kind("paper") if isinstance(r.data.get("title"), str)]

    def pick(self, rng: random.Random, kind: str, sid: str | None, key: str, default=None):
        pool = self.pools.get((kind, sid, key)) or self.pools.get((kind, None, key))
        if not pool:
            return default
        v = rng.choice(pool)
        return list(v) if isinstance(v, list) else v


# --- defects: every kind of invalid value the shapes catch ----------------------------------

@dataclass(frozen=True)
class Defect:
    name: str
    kind: str                                  # record kind it applies to
    apply: Callable[[dict, random.Random], None]
    field: str                                 # the key the report names
    severity: str = "Violation"


def _block(rec: dict, sid: str | None = None) -> dict:
    """A statements block of the record (the one of ``sid``, created if missing)."""
    sources = rec.setdefault("sources", {})
    if sid is None:
        if sources:
            return sources[sorted(sources)[0]]
        sid = "awesome-llms"
    return sources.setdefault(sid, {"name": rec.get("name", rec["id"])})


def _set(key: str, value, sid: str | None = None):
    def apply(rec, rng):
        _block(rec, sid)[key] = value
    return apply


def _top(key: str, value):
    def apply(rec, rng):
        rec[key] = value
    return apply


def _drop_top(key: str):
    def apply(rec, rng):
        rec.pop(key, None)
    return apply


def _spaced(key: str, in_block: bool = False):
    def apply(rec, rng):
        target = _block(rec) if in_block else rec
        text = str(target.get(key) or rec.get("name") or rec["id"])
        target[key] = text.replace("-", "  ", 1) if "-" in text else text + "  X"
    return apply


def _declared_mismatch(rec, rng):
    b = _block(rec, "awesome-llms")
    b["number of parameters"] = "7B, 13B"
    b["maximum number of parameters (in million)"] = "70000"


def _negative_count(rec, rng):
    b = _block(rec)
    b["number of parameters"] = "-7B"
    b.pop("maximum number of parameters (in million)", None)


V, W, I = "Violation", "Warning", "Info"
DEFECTS: list[Defect] = [
    Defect("model-without-name", "model", _drop_top("name"), "name"),
    Defect("model-name-spacing", "model", _spaced("name"), "name", I),
    Defect("name-in-source-spacing", "model", _spaced("name", True), "name", I),
    Defect("invalid-date", "model", _set("date created", "2023-02-30"), "date created"),
    Defect("unreadable-date", "model", _set("date created", "sometime"), "date created"),
    Defect("future-date", "model", _set("date created", "2999-06-01"), "date created"),
    Defect("future-month", "model", _set("date created", "Mar. 2999"), "date created"),
    Defect("future-year", "model", _set("date created", "2999"), "date created"),
    Defect("dangling-organization", "model", _set("organization", "no-such-organization"), "organization"),
    Defect("dangling-paper", "model", _set("paper", "no-such-paper"), "paper"),
    Defect("unknown-architecture", "model", _set("architecture", "Quantum Annealer", "awesome-huge-models"), "architecture"),
    Defect("unknown-pretraining-architecture", "model",
           _set("pretraining architecture", "Liquid State Machine", "awesome-llms"), "pretraining architecture"),
    Defect("unknown-license", "model", _set("license", "Frobnicator Public License 9"), "license"),
    Defect("unknown-access", "model", _set("access", "semi-open", "awesome-huge-models"), "access"),
    Defect("negative-count", "model", _negative_count, "number of parameters"),
    Defect("unreadable-count", "model", _set("number of parameters", "12.5.3B"), "number of parameters"),
    Defect("declared-maximum-differs", "model", _declared_mismatch, "maximum number of parameters (in million)"),
    Defect("declared-maximum-unreadable", "model",
           _set("maximum number of parameters (in million)", "lots", "awesome-llms"), "maximum number of parameters (in million)"),
    Defect("declared-maximum-negative", "model",
           _set("maximum number of parameters (in million)", "-5", "awesome-llms"), "maximum number of parameters (in million)"),
    Defect("context-length-fraction", "model", _set("context length", "2.5", "awesome-huge-models"), "context length"),
    Defect("context-length-zero", "model", _set("context length", "0", "awesome-huge-models"), "context length"),
    Defect("compute-unreadable", "model", _set("training compute (petaFLOPs)", "lots", "awesome-huge-models"), "training compute (petaFLOPs)"),
    Defect("compute-negative", "model", _set("training compute (petaFLOPs)", "-5", "awesome-huge-models"), "training compute (petaFLOPs)"),
    Defect("innovation-too-long", "model", _set("innovation", "A long innovation. " * 60, "awesome-llms"), "innovation", I),
    Defect("bad-wikidata", "model", _top("wikidata", "Q0123"), "wikidata"),
    Defect("malformed-orkg-contribution", "model", _set("orkg contribution", "R12x3", "awesome-llms"), "orkg contribution"),
    Defect("source-code-not-url", "model", _set("has source code", "github.com/someone/model"), "has source code"),
    Defect("source-code-http", "model", _set("has source code", "http://github.com/someone/model"), "has source code", I),
    Defect("blog-post-not-url", "model", _set("blog post", "see the blog"), "blog post"),
    Defect("blog-post-http", "model", _set("blog post", "http://blog.example.org/post"), "blog post", I),
    Defect("release-not-url", "model", _set("release", "www.example.org/weights", "awesome-huge-models"), "release"),
    Defect("release-http", "model", _set("release", "http://example.org/weights", "awesome-huge-models"), "release", I),
    Defect("homepage-not-url", "model", _set("homepage", "example.org", "awesome-huge-models"), "homepage"),
    Defect("homepage-http", "model", _set("homepage", "http://example.org/model", "awesome-huge-models"), "homepage", I),
    Defect("see-also-not-url", "model", _top("see also", ["wikipedia"]), "see also"),
    Defect("paper-without-title", "paper", _drop_top("title"), "title"),
    Defect("paper-title-spacing", "paper", _spaced("title"), "title", I),
    Defect("malformed-orkg-paper", "paper", _top("orkg paper", "370897"), "orkg paper"),
    Defect("bad-doi", "paper", _top("doi", "https://doi.org/10.1234/abc"), "doi"),
    Defect("bad-arxiv", "paper", _top("arxiv", "arXiv:2005.14165"), "arxiv"),
    Defect("year-fraction", "paper", _set("year", "2020.5"), "year"),
    Defect("year-out-of-range", "paper", _set("year", "1850"), "year"),
    Defect("month-out-of-range", "paper", _set("month", "13"), "month"),
    Defect("month-fraction", "paper", _set("month", "3.5"), "month"),
    Defect("paper-url-not-url", "paper", _set("url", "papers.example.org/1"), "url"),
    Defect("paper-url-http", "paper", _set("url", "http://papers.example.org/1"), "url", I),
    Defect("paper-dangling-organization", "paper", _set("organization", "no-such-lab"), "organization"),
    Defect("organization-without-name", "organization", _drop_top("name"), "name"),
    Defect("organization-name-spacing", "organization", _spaced("name"), "name", I),
    Defect("unknown-organization-kind", "organization", _top("kind", "startup"), "kind", W),
    Defect("organization-homepage-not-url", "organization", _top("homepage", "example.com"), "homepage"),
    Defect("organization-homepage-http", "organization", _top("homepage", "http://example.com/"), "homepage", I),
    Defect("reading-list-year-out-of-range", "reading-list", _top("year", "1850"), "year"),
    Defect("reading-list-dangling-source", "reading-list", _top("source", "no-such-source"), "source"),
    Defect("reading-list-dangling-paper", "reading-list",
           lambda rec, rng: rec["sections"][0]["papers"][0].__setitem__("paper", "no-such-paper"), "paper"),
]


# --- the generator ----------------------------------------------------------------------

class Generator:
    def __init__(self, n: int, seed: int, invalid: float, real: Real):
        self.n = n
        self.rng = random.Random(seed)
        self.invalid = invalid
        self.real = real
        n_rl = max(3, n // RECORDS_PER_READING_LIST)
        n_model = max(1, round(n * MODEL_SHARE))
        n_paper = max(1, round(n * PAPER_SHARE))
        n_org = max(1, n - n_model - n_paper - n_rl)
        if n_model + n_paper + n_org + n_rl > n and n >= 4:
            n_model = n - n_paper - n_org - n_rl
        self.counts = {"model": n_model, "paper": n_paper, "organization": n_org, "reading-list": n_rl}
        self.orgs = [self.org_name(i) for i in range(n_org)]
        self.org_ids = [_slug(name) for name in self.orgs]
        w = [1 / (r + 1) ** ZIPF_S for r in range(n_org)]
        acc, self.org_cum = 0.0, []
        for x in w:
            acc += x
            self.org_cum.append(acc)
        self.paper_titles = [self.paper_title(i) for i in range(n_paper)]
        from llmkg.records.values import paper_id

        self.paper_ids = [paper_id(t) for t in self.paper_titles]

    # names ------------------------------------------------------------------------------
    def org_name(self, i: int) -> str:
        suffix = ["AI", "Labs", "Research", "University", "Institute", "", "Technologies"][i % 7]
        return (word(i).capitalize() + (" " + suffix if suffix else "")).strip()

    def paper_title(self, i: int) -> str:
        base = self.rng.choice(self.real.titles)
        return f"{word(i).capitalize()}: {base}"

    def model_name(self, i: int) -> str:
        suffix = ["", "-Chat", " 2", "-XL", "-Base", "", "-Instruct", ""][self.rng.randrange(8)]
        return word(i).capitalize() + suffix

    def org(self) -> str:
        u = self.rng.random() * self.org_cum[-1]
        return self.org_ids[min(bisect.bisect_left(self.org_cum, u), len(self.org_ids) - 1)]

    def date(self, sid: str) -> str:
        rng = self.rng
        y = rng.choice([2017, 2018, 2019, 2019, 2020, 2020, 2021, 2021, 2021, 2022, 2022, 2022, 2022,
                        2023, 2023, 2023, 2023, 2024, 2024])
        m = rng.randrange(1, 13)
        if sid == "awesome-llms":
            d = 1 if rng.random() < 0.8 else rng.randrange(1, 29)
            return f"{y}-{m:02d}-{d:02d}"
        return f"{MONTHS[m - 1]} {y}"

    def params(self) -> tuple[str, int]:
        """A parameter-count text with 1-6 variants, and its largest count."""
        rng = self.rng
        k = rng.choices([1, 2, 3, 4, 5, 6], weights=[55, 18, 10, 8, 5, 4])[0]
        millions = sorted({rng.choice([60, 110, 125, 340, 350, 770, 1300, 1500, 2700, 3000, 6700,
                                       7000, 13000, 20000, 30000, 34000, 65000, 70000, 137000,
                                       175000, 280000, 540000, 1200000]) for _ in range(k)})

        def fmt(m: int) -> str:
            if m >= 1000 and m % 100 == 0:
                b = m / 1000
                return f"{b:g}B" if b < 1000 else f"{b / 1000:g}T"
            return f"{m}M"

        items = [fmt(m) for m in millions]
        style = rng.random()
        if len(items) == 1:
            text = items[0]
        elif style < 0.5:
            text = ", ".join(items)
        elif style < 0.75:
            text = ", ".join(items[:-1]) + " and " + items[-1]
        else:
            names = ["Small", "Base", "Medium", "Large", "XL", "XXL"]
            text = ", ".join(f"{names[j]} = {it}" for j, it in enumerate(items))
        return text, millions[-1]

    # records ------------------------------------------------------------------------------
    def model(self, i: int) -> dict:
        rng, real = self.rng, self.real
        tpl = rng.choice(real.templates["model"])
        name = self.model_name(i)
        mid = _slug(name)
        rec: dict = {"id": mid, "name": name}
        if "aliases" in tpl.top:
            rec["aliases"] = [name.replace("-", " ") if "-" in name else name.upper()]
        org = self.org()
        sources = {}
        for sid, keys in tpl.blocks.items():
            b: dict = {}
            params_text, maximum = self.params()
            for key in keys:
                if key == "name":
                    v = name
                elif key == "paper":
                    v = rng.choice(self.paper_ids)
                elif key == "orkg contribution":
                    v = f"R{rng.randrange(100000, 999999)}"
                elif key == "date created":
                    v = self.date(sid)
                elif key == "organization":
                    v = org if rng.random() < 0.95 else [org, self.org()]
                    if isinstance(v, list) and v[0] == v[1]:
                        v = org
                elif key == "number of parameters":
                    v = params_text
                elif key == "maximum number of parameters (in million)":
                    v = str(maximum)
                elif key == "has source code":
                    v = f"https://github.com/{org}/{mid}"
                    if rng.random() < 0.2:
                        v = [v, f"https://huggingface.co/{org}/{mid}"]
                elif key == "blog post":
                    v = f"https://{org}.example.com/blog/{mid}"
                elif key == "homepage":
                    v = f"https://{org}.example.com/{mid}/"
                elif key == "release":
                    v = f"https://github.com/{org}/{mid}/releases"
                elif key == "model family":
                    v = name.split("-")[0].split(" ")[0]
                else:
                    v = real.pick(rng, "model", sid, key)
                    if v is None:
                        continue
                b[key] = v
            sources[sid] = b
        rec["sources"] = sources
        return rec

    def paper(self, i: int) -> dict:
        rng, real = self.rng, self.real
        tpl = rng.choice(real.templates["paper"])
        title = self.paper_titles[i]
        rec: dict = {"id": self.paper_ids[i], "title": title}
        year = rng.randrange(2014, 2025)
        for key in tpl.top:
            if key == "orkg paper":
                rec[key] = f"R{rng.randrange(100000, 999999)}"
            elif key == "arxiv":
                rec[key] = f"{year % 100:02d}{rng.randrange(1, 13):02d}.{rng.randrange(10000, 99999)}"
        sources = {}
        for sid, keys in tpl.blocks.items():
            b: dict = {}
            for key in keys:
                if key == "title":
                    v = title if rng.random() < 0.8 else f"{title.split(':')[0]} ({year})"
                elif key == "authors":
                    v = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randrange(1, 5))]
                elif key == "year":
                    v = year
                elif key == "organization":
                    v = self.org()
                elif key == "url":
                    v = f"https://papers.example.org/{year}/{rec['id']}.pdf"
                else:
                    v = real.pick(rng, "paper", sid, key)
                    if v is None:
                        continue
                b[key] = v
            sources[sid] = b
        rec["sources"] = sources
        return rec

    def organization(self, i: int) -> dict:
        rng = self.rng
        name = self.orgs[i]
        rec: dict = {"id": self.org_ids[i], "name": name}
        if rng.random() < 0.47:
            rec["aliases"] = [name.upper()] if rng.random() < 0.5 else [name.replace(" ", "")]
        rec["kind"] = self.real.pick(rng, "organization", None, "kind", "company")
        if rng.random() < 0.2:
            rec["homepage"] = f"https://{rec['id']}.example.com/"
        if rng.random() < 0.1:
            rec["country"] = rng.choice(COUNTRIES)
        return rec

    def reading_list(self, i: int) -> dict:
        rng, real = self.rng, self.real
        source = READING_LIST_SOURCES[i % len(READING_LIST_SOURCES)]
        rec: dict = {"id": f"reading-list-{word(i)}", "title": f"Reading list {word(i).capitalize()}",
                     "author": [f"{rng.choice(FIRST)} {rng.choice(LAST)}"],
                     "url": f"https://lists.example.org/{word(i)}/", "year": rng.randrange(2020, 2025),
                     "source": source, "sections": []}
        for _s in range(rng.randrange(1, 6)):
            papers = []
            for _e in range(rng.randrange(2, 15)):
                j = rng.randrange(len(self.paper_ids))
                papers.append({"paper": self.paper_ids[j], "label": self.paper_titles[j],
                               "note": real.pick(rng, "entry", None, "note", "A paper worth reading.")})
            rec["sections"].append({"title": real.pick(rng, "section", None, "title", "Papers"),
                                    "papers": papers})
        return rec

    # the run -------------------------------------------------------------------------------
    def records(self):
        """(kind, record) in file order; defects applied to a seeded choice of records."""
        rng = self.rng
        plan: dict[tuple[str, int], Defect] = {}
        n_bad = round(self.n * self.invalid)
        order = list(DEFECTS)
        rng.shuffle(order)
        taken: set = set()
        for j in range(n_bad):
            d = order[j % len(order)]
            total = self.counts[d.kind]
            for _try in range(20):
                idx = rng.randrange(total)
                if (d.kind, idx) not in taken:
                    taken.add((d.kind, idx))
                    plan[(d.kind, idx)] = d
                    break
        makers = {"organization": self.organization, "paper": self.paper, "model": self.model,
                  "reading-list": self.reading_list}
        for kind in ("organization", "paper", "model", "reading-list"):
            for i in range(self.counts[kind]):
                rec = makers[kind](i)
                d = plan.get((kind, i))
                if d is not None:
                    d.apply(rec, rng)
                yield kind, rec, d


FOLDERS = {"model": "models", "paper": "papers", "organization": "organizations",
           "reading-list": "reading-lists"}


def _slug(text: str) -> str:
    from llmkg.records.values import slugify

    return slugify(text)


def generate(n: int, out: Path, seed: int = 0, invalid: float = 0.02, real_dir: Path = REAL_DATA) -> dict:
    """Write the records; return the manifest (counts and defects written)."""
    out = Path(out)
    real = Real(Path(real_dir))
    gen = Generator(n, seed, invalid, real)
    if out.exists():
        for sub in list(FOLDERS.values()) + ["sources", "vocabularies"]:
            shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("sources", "vocabularies"):
        shutil.copytree(Path(real_dir) / sub, out / sub)
    for folder in FOLDERS.values():
        (out / folder).mkdir()
    defects = []
    for kind, rec, d in gen.records():
        rel = f"{FOLDERS[kind]}/{rec['id']}.yaml"
        text = yaml.dump(rec, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        (out / rel).write_text(text, encoding="utf-8")
        if d is not None:
            defects.append({"file": rel, "defect": d.name, "field": d.field, "severity": d.severity})
    manifest = {"n": n, "seed": seed, "invalid": invalid, "counts": gen.counts, "defects": defects}
    (out / "generated.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of records")
    ap.add_argument("out", type=Path, help="output data directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--invalid", type=float, default=0.02, help="share of records with a defect")
    ap.add_argument("--real", type=Path, default=REAL_DATA, help="the real data to sample from")
    a = ap.parse_args(argv)
    m = generate(a.n, a.out, a.seed, a.invalid, a.real)
    print(f"wrote {sum(m['counts'].values())} records ({m['counts']}), {len(m['defects'])} with a defect, "
          f"to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
