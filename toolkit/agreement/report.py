"""Agreement results as text (for a reviewer at the terminal) and as Markdown (for the dataset card)."""

from __future__ import annotations

from collections.abc import Sequence

from .measure import PAIR_MEAN, POOLED, AgreementResult, LabelScore


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Aligned columns; the first `left` columns are left-aligned, numbers right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "  ".join(padded).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _score_rows(scores: list[LabelScore]) -> list[list[str]]:
    return [
        [
            s.label,
            _num(s.exact.pooled),
            _num(s.exact.pair_mean),
            _num(s.lenient.pooled),
            _num(s.lenient.pair_mean),
            str(s.exact.documents),
            str(s.exact.pairs),
            str(s.exact.marked),
        ]
        for s in scores
    ]


SCORE_HEADER = ["label", "exact pooled", "exact pair-mean", "lenient pooled", "lenient pair-mean", "docs", "pairs"]


def text(r: AgreementResult) -> str:
    """The full report: definitions, per-label F1, kappa, and documents with the most disagreement first."""
    if not r.documents:
        lines = [f"No document has two or more annotations ({r.single_annotator} with one): nothing to compare."]
        return "\n".join([*lines, *r.skipped]) + "\n"
    out = [
        f"Agreement over {r.documents} document(s) annotated by two or more people: {len(r.annotators)} "
        f"annotator(s), {r.pairs} annotator pair(s); {r.single_annotator} document(s) with one annotator not compared.",
        *r.skipped,
        *([f"Reviewers left out (they resolve, not annotate): {', '.join(r.excluded)}"] if r.excluded else []),
        "F1 between two annotators = 2·|A∩B| / (|A|+|B|) (the same whichever is the reference).",
        f"  pooled    = {POOLED}",
        f"  pair mean = {PAIR_MEAN}",
        "  marked    = Σ(|A|+|B|), the items behind a figure; docs and pairs count those with any such item",
        "",
        "Entities (exact: same span and label; lenient: overlapping span, same label)",
        *_table([*SCORE_HEADER, "marked"], _score_rows(r.entities)),
        "",
        "Relations (exact: same label and endpoint spans, symmetric relations either way; lenient: overlapping "
        "endpoint spans)",
        *_table([*SCORE_HEADER, "marked"], _score_rows(r.relations)),
        "",
    ]
    return "\n".join([*out, *_kappa_lines(r), "", *_document_lines(r)]) + "\n"


def _kappa_lines(r: AgreementResult) -> list[str]:
    rows = [[f"{a} vs {b}", _num(k.kappa), str(k.documents), str(k.tokens)] for k in r.cohen for a, b in [k.annotators]]
    rows.append([f"mean over {len(r.cohen)} pair(s)", _num(r.cohen_mean), "", ""])
    out = ["Token-level BIO tags: Cohen's kappa per annotator pair", *_table(["pair", "kappa", "docs", "tokens"], rows)]
    out += [
        f"Fleiss' kappa, {f.raters} annotators per document: {_num(f.kappa)} "
        f"({f.documents} document(s), {f.tokens} tokens)"
        for f in r.fleiss
    ] or ["Fleiss' kappa: no document has three or more annotators"]
    out.append(f"{r.misaligned_spans} span(s) off token edges or nested, left out of the BIO tags")
    return out


def _document_lines(r: AgreementResult) -> list[str]:
    rows = [
        [
            d.doc_id,
            str(len(d.annotators)),
            _num(d.entity_f1),
            _num(d.entity_lenient_f1),
            _num(d.relation_f1),
            _num(d.relation_lenient_f1),
            _num(d.kappa),
            str(d.disputed),
        ]
        for d in r.by_document
    ]
    header = ["document", "annotators", "entities", "lenient", "relations", "lenient", "kappa", "disputed"]
    return [
        "Documents by disagreement (most first; disputed = items not marked by every annotator)",
        *_table(header, rows),
    ]


def markdown(r: AgreementResult) -> str:
    """A short card section: overall figures only, with what they mean and how many documents are behind them."""
    if not r.documents:
        return (
            "No document of this release was annotated by more than one person, so no inter-annotator "
            "agreement can be reported."
        )
    e, rel = r.entities[0], r.relations[0]
    rows = [
        ("entities, same span and label", e.exact),
        ("entities, overlapping span, same label", e.lenient),
        ("relations, same label and endpoint spans", rel.exact),
        ("relations, overlapping endpoint spans", rel.lenient),
    ]
    out = [
        f"{r.documents} document(s) were annotated independently by two or more of {len(r.annotators)} annotators "
        f"({r.pairs} annotator pair(s)). F1 between two annotators is 2·|A∩B| / (|A|+|B|); *pooled* is "
        f"{POOLED}, *pair mean* the {PAIR_MEAN}. Symmetric relations match in either direction.",
        "",
        "| measure | pooled F1 | pair mean | documents | pairs |",
        "|---|---|---|---|---|",
    ]
    out += [f"| {name} | {_num(s.pooled)} | {_num(s.pair_mean)} | {s.documents} | {s.pairs} |" for name, s in rows]
    out.append(
        f"| token BIO tags, Cohen's kappa (mean over pairs) | {_num(r.cohen_mean)} | | {r.documents} | {len(r.cohen)} |"
    )
    for f in r.fleiss:
        out.append(f"| token BIO tags, Fleiss' kappa ({f.raters} annotators) | {_num(f.kappa)} | | {f.documents} | |")
    labels = ", ".join(f"`{s.label}` {_num(s.exact.pooled)}" for s in r.entities[1:])
    out += ["", f"Entity agreement per label (exact, pooled): {labels or 'none'}."]
    return "\n".join(out) + "\n"
