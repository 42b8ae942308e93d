"""The card's charts as PNG: label counts per split, and per-label agreement where there is any.

Byte-reproducible: matplotlib's own defaults (not the user's style), the Agg renderer, a size that
depends only on the data, fixed dpi, and no "Software" text chunk (it would carry the version).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

from ..agreement.measure import AgreementResult
from .configs import SPLITS
from .result import SplitSummary

DPI = 100
COLORS = {"train": "#4363d8", "validation": "#f58231", "test": "#3cb44b"}
LABELS_PNG = "images/labels.png"
AGREEMENT_PNG = "images/agreement.png"


Panel = tuple[str, list[str], dict[str, list[float]]]  # title, bar names, series name -> values (stacked)


def _png(panels: list[Panel], xlabel: str, limit: float | None) -> bytes:
    """Horizontal bar charts, one panel each: (title, bar names, series name -> values stacked)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = sum(max(len(names), 1) for _, names, _ in panels)
    with matplotlib.rc_context(matplotlib.rcParamsDefault), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a label's glyph missing from the font is drawn as a box, not a warning
        fig = Figure(figsize=(8, 1.2 + 0.28 * rows + 0.8 * len(panels)), dpi=DPI)
        FigureCanvasAgg(fig)
        axes = fig.subplots(len(panels), 1, squeeze=False, height_ratios=[max(len(n), 1) for _, n, _ in panels])
        for ax, (title, names, series) in zip(axes[:, 0], panels, strict=True):
            left = [0.0] * len(names)
            for name, values in series.items():
                ax.barh(names, values, left=left, color=COLORS.get(name, "#808080"), label=name)
                left = [a + b for a, b in zip(left, values, strict=True)]
            ax.invert_yaxis()
            ax.set_title(title, loc="left", fontsize=10)
            ax.set_xlabel(xlabel, fontsize=9)
            ax.tick_params(labelsize=8)
            if limit is not None:
                ax.set_xlim(0, limit)
            if len(series) > 1:
                ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def label_chart(
    entity_names: Sequence[str], relation_names: Sequence[str], per_split: dict[str, SplitSummary]
) -> bytes:
    """Mentions per entity label and relations per relation label, stacked by split."""
    panels: list[Panel] = [
        (
            "Entity mentions per label",
            list(entity_names),
            {s: [float(per_split[s].entities[n]) for n in entity_names] for s in SPLITS},
        ),
    ]
    if relation_names:
        panels.append(
            (
                "Relations per label",
                list(relation_names),
                {s: [float(per_split[s].relations[n]) for n in relation_names] for s in SPLITS},
            )
        )
    return _png(panels, "count", None)


def agreement_chart(result: AgreementResult) -> bytes:
    """Exact pooled F1 between annotators per label (entities, then relations that were used)."""
    panels: list[Panel] = []
    for title, scores in (
        ("Entity agreement (exact F1, pooled)", result.entities),
        ("Relation agreement (exact F1, pooled)", result.relations),
    ):
        used = [s for s in scores if s.exact.pooled is not None]
        if used:
            panels.append((title, [s.label for s in used], {"F1": [s.exact.pooled or 0.0 for s in used]}))
    return _png(panels, "F1", 1.0)
