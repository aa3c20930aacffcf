"""Plotly figures of distances, ROC, training loss, embeddings and the confusion matrix.

Shared by the dashboard and the HTML report, so both show the same pictures. Each builder takes plain
arrays or the dataclasses of `siamese_core.evaluation` and returns a `plotly.graph_objects.Figure`.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from siamese_core.calibration import CalibrationMetrics
from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import EvalResult, ThresholdMetrics, check_threshold
from siamese_core.pairs import SIMILAR

SIMILAR_COLOUR = "#1f77b4"
DISSIMILAR_COLOUR = "#ff7f0e"
MARGIN_COLOUR = "#555555"
THRESHOLD_COLOUR = "#d62728"
MARKER_COLOUR = "#2ca02c"
DISTANCE_AXIS_TITLE = "Euclidean distance between embeddings"
# Above this many points a WebGL scatter keeps the browser responsive.
WEBGL_POINTS = 5000
# A ROC curve drawn with more points than this looks the same and only makes pages heavy.
ROC_POINTS = 2000
# Two models compared: A's colour and line, then B's (dashed, so that equal curves both show).
MODEL_COLOURS = ("#1f77b4", "#9467bd")
MODEL_DASHES = ("solid", "dash")


def format_distance(value: float) -> str:
    """A distance for labels: two decimals, or three significant digits for small values."""
    value = float(value)
    if value == 0 or abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def decimals_to_tell_apart(values, *, at_least: int = 4, at_most: int = 12) -> int:
    """The fewest decimals, from `at_least`, that write different values differently.

    Two thresholds a hair apart written alike ("0.684" and "0.684") read as one; this gives the digits
    that tell them apart, up to `at_most` (values closer than that stay alike).

    Args:
        values: The numbers to be written side by side.
        at_least: Decimals to use when fewer already tell every value apart.
        at_most: The most decimals given.

    Returns:
        The number of decimals.
    """
    distinct = sorted({float(value) for value in values})
    for decimals in range(int(at_least), int(at_most)):
        if len({f"{value:.{decimals}f}" for value in distinct}) == len(distinct):
            return decimals
    return int(at_most)


def plotly_text(value: object) -> str:
    """Text from a user's file (a class name, an id) as a Plotly label shows it: exactly as written.

    Plotly reads a few HTML tags and entities in names and hover text, and fills `%{...}` in hover
    templates: the tags' characters and the percent sign become entities, which Plotly shows as the
    characters themselves.
    """
    return html.escape(str(value), quote=False).replace("%", "&#37;")


def _distances_and_similar(distances, labels) -> tuple[np.ndarray, np.ndarray]:
    distances = np.asarray(distances, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    if distances.size == 0:
        raise DataError("there are no distances to plot")
    if distances.size != labels.size:
        raise DataError(
            f"distances and labels must have the same length; received {distances.size} distances and "
            f"{labels.size} labels"
        )
    if not np.all(np.isfinite(distances)):
        raise DataError("some distances are not finite (NaN or infinite) and cannot be plotted")
    return distances, labels == SIMILAR


def shared_bins(distances, nbins: int = 40) -> dict:
    """Plotly `xbins` (start, end, size) that both histogram traces use, computed once over all distances.

    The bin size is stretched by a hair so that the largest distance falls inside the last bin rather
    than on its right edge (Plotly bins are closed on the left).

    Args:
        distances: All distances, similar and dissimilar together.
        nbins: Number of bins.

    Returns:
        A dict with keys start, end and size.
    """
    edges = np.histogram_bin_edges(np.asarray(distances, dtype=np.float64), bins=int(nbins))
    start = float(edges[0])
    size = float(edges[-1] - edges[0]) / int(nbins) * (1 + 1e-9)
    return {"start": start, "end": start + size * int(nbins), "size": size}


def distance_histogram(
    distances,
    labels,
    *,
    margin=None,
    threshold=None,
    nbins: int = 40,
    title: str | None = None,
    marker=None,
) -> go.Figure:
    """Overlaid histograms of the distances of similar and dissimilar pairs, on the same bins.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 for similar, 1 for dissimilar.
        margin: The contrastive margin, drawn as a dashed vertical line.
        threshold: The decision threshold, drawn as a solid vertical line.
        nbins: Number of bins, shared by both classes.
        title: The figure's title.
        marker: A distance to mark with a dotted line labelled "this pair".

    Returns:
        The figure: trace 0 similar, trace 1 dissimilar (each named with its count).

    Raises:
        DataError: No distances, lengths that differ, or non-finite distances.
        ConfigError: A threshold that is not a finite number, or fewer than one bin.
    """
    distances, similar_mask = _distances_and_similar(distances, labels)
    threshold = None if threshold is None else check_threshold(threshold)
    if int(nbins) < 1:
        raise ConfigError(f"nbins must be >= 1. Received: nbins={nbins}")
    xbins = shared_bins(distances, nbins)
    figure = go.Figure()
    for name, mask, colour in (
        ("similar", similar_mask, SIMILAR_COLOUR),
        ("dissimilar", ~similar_mask, DISSIMILAR_COLOUR),
    ):
        figure.add_trace(
            go.Histogram(
                x=distances[mask],
                name=f"{name} (n={int(mask.sum()):,})",
                xbins=xbins,
                autobinx=False,
                marker_color=colour,
                opacity=0.6,
                hovertemplate=f"{name}<br>distance %{{x}}<br>%{{y}} pairs<extra></extra>",
            )
        )
    # Labels point away from each other, so margin and threshold labels never overlap.
    threshold_first = margin is None or threshold is None or float(threshold) <= float(margin)
    if margin is not None:
        _line(
            figure,
            margin,
            f"margin m = {format_distance(margin)}",
            "top right" if threshold_first else "top left",
            line_dash="dash",
            line_color=MARGIN_COLOUR,
        )
    if threshold is not None:
        _threshold_line(figure, threshold, "top left" if threshold_first else "top right", line_dash="solid")
    if marker is not None:
        _line(
            figure,
            marker,
            "this pair",
            "bottom right",
            line_dash="dot",
            line_width=3,
            line_color=MARKER_COLOUR,
        )
    figure.update_layout(
        barmode="overlay",
        title=title,
        xaxis_title=DISTANCE_AXIS_TITLE,
        yaxis_title="pairs",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return figure


def _line(figure: go.Figure, x, text: str, position: str, **style) -> None:
    """A vertical line at distance `x`, labelled `text` at `position`; `style`: Plotly's line settings and,
    in a panel of subplots, its row and col."""
    figure.add_vline(x=float(x), annotation_text=text, annotation_position=position, **style)


def _threshold_line(figure: go.Figure, threshold, position: str, **style) -> None:
    """The threshold's line: solid, in the threshold's colour, labelled with its value."""
    _line(
        figure,
        threshold,
        f"threshold {format_distance(threshold)}",
        position,
        line_color=THRESHOLD_COLOUR,
        **style,
    )


def _diagonal(name: str) -> go.Scatter:
    """The dashed grey line from (0, 0) to (1, 1): chance on a ROC curve, perfect calibration on a
    reliability diagram."""
    return go.Scatter(
        x=[0.0, 1.0],
        y=[0.0, 1.0],
        mode="lines",
        name=name,
        line={"color": "#999999", "dash": "dash"},
        hoverinfo="skip",
    )


def _thin_curve(fpr: np.ndarray, tpr: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most about `max_points` ROC points, evenly spread along the curve, ends kept.

    fpr + tpr only grows along a ROC curve, so it measures progress along it; picking the points nearest
    evenly spaced values of it keeps the shape where the curve turns as well as where it is straight.
    """
    if fpr.size <= max_points:
        return np.arange(fpr.size)
    progress = fpr + tpr
    targets = np.linspace(progress[0], progress[-1], max_points)
    index = np.searchsorted(progress, targets).clip(0, fpr.size - 1)
    return np.unique(np.concatenate(([0], index, [fpr.size - 1])))


def roc_figure(result: EvalResult) -> go.Figure:
    """The ROC curve with similar as the positive class, the chance line, and the EER point.

    Args:
        result: An evaluation, with its ROC arrays. Curves longer than `ROC_POINTS` are thinned.

    Returns:
        The figure: trace 0 the ROC curve (its name gives the AUC), trace 1 the chance line, trace 2 the
        EER point at (EER, 1 - EER).
    """
    fpr = np.asarray(result.roc_fpr, dtype=np.float64)
    tpr = np.asarray(result.roc_tpr, dtype=np.float64)
    thresholds = np.asarray(result.roc_thresholds, dtype=np.float64)
    keep = _thin_curve(fpr, tpr, ROC_POINTS)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=fpr[keep],
            y=tpr[keep],
            customdata=thresholds[keep],
            mode="lines",
            name=f"ROC (AUC = {result.auc:.3f})",
            line={"color": SIMILAR_COLOUR, "width": 2},
            hovertemplate=(
                "threshold %{customdata:.4g}<br>false positive rate %{x:.3f}<br>"
                "true positive rate %{y:.3f}<extra></extra>"
            ),
        )
    )
    figure.add_trace(_diagonal("chance"))
    eer_text = f"EER {result.eer:.3f} at threshold {format_distance(result.eer_threshold)}"
    figure.add_trace(
        go.Scatter(
            x=[float(result.eer)],
            y=[1.0 - float(result.eer)],
            mode="markers+text",
            name=eer_text,
            text=[eer_text],
            textposition="middle right",
            marker={"color": THRESHOLD_COLOUR, "size": 10},
            hovertemplate=f"{eer_text}<extra></extra>",
        )
    )
    figure.update_layout(
        title=f"ROC curve (AUC = {result.auc:.3f})",
        xaxis_title="false positive rate (dissimilar pairs called similar)",
        yaxis_title="true positive rate (similar pairs called similar)",
        xaxis_range=[0, 1],
        yaxis_range=[0, 1.02],
        legend={"x": 0.55, "y": 0.05},
    )
    return figure


def roc_comparison_figure(results, *, names=("A", "B")) -> go.Figure:
    """Two models' ROC curves on the same pairs, overlaid (each built by `roc_figure`).

    Args:
        results: Two evaluations of the same pairs (`EvalResult`), model A's first.
        names: What each model is called in the legend, such as "A: old.keras".

    Returns:
        The figure: traces 0 and 1 the ROC curves of A and B (each named with its AUC; B dashed, so that
        equal curves both show), trace 2 the chance line.
    """
    figures = [roc_figure(result) for result in results]
    combined = go.Figure(layout=figures[0].layout)
    for figure, result, name, colour, dash in zip(
        figures, results, names, MODEL_COLOURS, MODEL_DASHES, strict=True
    ):
        curve = figure.data[0]
        curve.update(
            name=f"{plotly_text(name)} (AUC = {result.auc:.3f})",
            line={"color": colour, "dash": dash, "width": 2},
            hovertemplate=f"{plotly_text(name)}<br>" + curve.hovertemplate,
        )
        combined.add_trace(curve)
    combined.add_trace(figures[0].data[1])  # the chance line
    combined.update_layout(title="ROC curves of the two models on the same pairs")
    return combined


def histogram_comparison_figure(
    distances, labels, *, thresholds=(None, None), names=("A", "B"), nbins: int = 40
) -> go.Figure:
    """Two models' distances of the same pairs, one panel each: similar and dissimilar pairs overlaid.

    Two models' distances need not be on one scale (another margin, embedding size or feature scaling
    gives other distances), so each panel has its own distance axis and bins (each panel is
    `distance_histogram` of one model); what compares is how much the two colours overlap within each
    panel, not where they lie across panels.

    Args:
        distances: Model A's (n,) distances and model B's.
        labels: (n,) 0 for similar, 1 for dissimilar.
        thresholds: Each model's threshold, drawn as a solid vertical line in its panel (None: none).
        names: What each model is called in the panel titles.
        nbins: Number of bins of each panel.

    Returns:
        The figure: traces 0 and 1 model A's similar and dissimilar pairs (left panel), 2 and 3 model B's
        (right panel); the legend shows each class once and toggles it in both panels.

    Raises:
        DataError: No distances, lengths that differ, or non-finite distances.
        ConfigError: A threshold that is not a finite number, or fewer than one bin.
    """
    figure = make_subplots(rows=1, cols=2, subplot_titles=[plotly_text(name) for name in names])
    for column, (values, threshold) in enumerate(zip(distances, thresholds, strict=True), start=1):
        single = distance_histogram(values, labels, threshold=threshold, nbins=nbins)
        for trace, group in zip(single.data, ("similar", "dissimilar"), strict=True):
            trace.update(legendgroup=group, showlegend=column == 1)
            figure.add_trace(trace, row=1, col=column)
        if threshold is not None:
            _threshold_line(figure, threshold, "top right", row=1, col=column)
        figure.update_xaxes(title_text="distance (this model's own scale)", row=1, col=column)
    figure.update_yaxes(title_text="pairs", row=1, col=1)
    figure.update_layout(
        barmode="overlay",
        title="Distances of similar and dissimilar pairs, each model on its own scale",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0},
    )
    return figure


def loss_figure(history: dict[str, list[float]]) -> go.Figure:
    """Training loss, and validation loss when there is one, per epoch (epochs start at 1).

    Args:
        history: A Keras-style history: "loss" and optionally "val_loss", one value per epoch.

    Returns:
        The figure: trace 0 training loss, trace 1 validation loss when given.

    Raises:
        DataError: The history has no "loss" values.
    """
    losses = list((history or {}).get("loss") or [])
    if not losses:
        raise DataError("the training history has no 'loss' values to plot")
    figure = go.Figure()
    for key, name, colour in (
        ("loss", "training", SIMILAR_COLOUR),
        ("val_loss", "validation", DISSIMILAR_COLOUR),
    ):
        values = (history or {}).get(key)
        if not values:
            continue
        values = np.asarray(values, dtype=np.float64)
        figure.add_trace(
            go.Scatter(
                x=np.arange(1, values.size + 1),
                y=values,
                mode="lines+markers",
                name=name,
                line={"color": colour},
                hovertemplate=f"{name}<br>epoch %{{x}}<br>loss %{{y:.4g}}<extra></extra>",
            )
        )
    figure.update_layout(title="Loss per epoch", xaxis_title="epoch", yaxis_title="loss")
    return figure


def _explained_share(values: np.ndarray, projected: np.ndarray) -> np.ndarray:
    """Share of the total variance of `values` on each projected axis (0 when there is no variance)."""
    total = float(np.var(values, axis=0).sum())
    if total <= 0:
        return np.zeros(projected.shape[1])
    return np.var(projected, axis=0) / total


def _checked_embeddings(embeddings, what: str = "embeddings") -> np.ndarray:
    embeddings = np.asarray(embeddings, dtype=np.float64)
    if embeddings.ndim == 1:
        embeddings = embeddings.reshape(-1, 1)
    if embeddings.ndim != 2 or embeddings.shape[0] == 0 or embeddings.shape[1] == 0:
        raise DataError(f"{what} must be a non-empty (n, k) array; received shape {embeddings.shape}")
    if not np.all(np.isfinite(embeddings)):
        raise DataError(f"some {what} are not finite (NaN or infinite) and cannot be plotted")
    return embeddings


def _projection(embeddings: np.ndarray) -> tuple[np.ndarray, str, str]:
    """(n, 2) coordinates of (n, k) embeddings and the two axis titles.

    With 1-dimensional embeddings the single value is the x axis and y is 0; otherwise the first two
    principal components, whose axis titles give the share of variance each holds.
    """
    n, k = embeddings.shape
    if k == 1:
        return np.column_stack((embeddings[:, 0], np.zeros(n))), "embedding (1 dimension)", ""
    if n > 1 and float(np.var(embeddings, axis=0).sum()) > 0:
        # PCA needs n >= 2 for two components; pad the second axis when there is only one.
        from sklearn.decomposition import PCA  # loads on first use

        projected = PCA(n_components=min(2, n)).fit_transform(embeddings)
    else:
        projected = np.zeros((n, 2))  # one point, or all points equal: nothing to spread out
    shares = _explained_share(embeddings, projected)
    if projected.shape[1] < 2:
        projected = np.column_stack((projected, np.zeros(n)))
        shares = np.append(shares, 0.0)
    return projected, f"PC1 ({shares[0]:.1%} of variance)", f"PC2 ({shares[1]:.1%} of variance)"


def _point_hover(label: str, with_text: bool) -> str:
    """A projected point's hover template: its label and coordinates, and its own text when given."""
    return f"{label}<br>%{{x:.3g}}, %{{y:.3g}}" + ("<br>%{text}" if with_text else "") + "<extra></extra>"


def _pca_of(k: int) -> str:
    """How a projection of k-dimensional embeddings is made, for a title."""
    return f"({k} dimension{'s' if k != 1 else ''}, PCA to 2-D)"


def _projected_layout(figure: go.Figure, title: str, x_title: str, y_title: str, legend: str) -> go.Figure:
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, legend_title_text=legend)
    return figure


def embedding_figure(embeddings, colour_by, *, title: str | None = None, hover=None) -> go.Figure:
    """A 2-D PCA view of embeddings, one point per embedding and one trace (and legend entry) per class.

    Give each sample once: a sample passed twice is drawn twice. The axis titles give the share of
    variance each axis holds (see `_projection`).

    Args:
        embeddings: (n, k) embeddings, one per sample.
        colour_by: (n,) the class of each sample, treated as categories.
        title: The figure's title.
        hover: (n,) optional text shown when hovering over each point (such as the sample's id).

    Returns:
        The figure, with traces in sorted category order, each named with its number of samples.

    Raises:
        DataError: No embeddings, non-finite values, or `colour_by`/`hover` of another length.
    """
    embeddings = _checked_embeddings(embeddings)
    n, k = embeddings.shape
    colour_by = np.asarray(colour_by).reshape(-1)
    if colour_by.size != n:
        raise DataError(f"colour_by must have one entry per embedding; received {colour_by.size} for {n}")
    if hover is not None:
        hover = np.asarray(hover, dtype=object).reshape(-1)
        if hover.size != n:
            raise DataError(f"hover must have one entry per embedding; received {hover.size} for {n}")
    coordinates, x_title, y_title = _projection(embeddings)

    scatter = go.Scattergl if n > WEBGL_POINTS else go.Scatter
    categories = colour_by.astype(str)
    figure = go.Figure()
    for category in sorted(set(categories.tolist())):
        mask = categories == category
        shown = plotly_text(category)
        figure.add_trace(
            scatter(
                x=coordinates[mask, 0],
                y=coordinates[mask, 1],
                mode="markers",
                name=f"{shown} (n={int(mask.sum()):,})",
                text=None if hover is None else [plotly_text(value) for value in hover[mask]],
                hovertemplate=_point_hover(shown, hover is not None),
                marker={"size": 6, "opacity": 0.75},
            )
        )
    return _projected_layout(figure, title or f"Embeddings {_pca_of(k)}", x_title, y_title, "class")


def pair_embedding_figure(left, right, labels, *, title: str | None = None, hover=None) -> go.Figure:
    """A 2-D PCA view of pairs: each pair a line between its two samples' embeddings, coloured by label.

    For pairs without classes (a pair file), where a point's own colour could only repeat its pair's.
    Both sides are projected together (see `_projection`).

    Args:
        left: (n, k) embeddings of each pair's first sample.
        right: (n, k) embeddings of each pair's second sample.
        labels: (n,) 0 for similar, 1 for dissimilar.
        title: The figure's title.
        hover: (n, 2) optional text for each pair's first and second sample (such as "row 4, first").

    Returns:
        The figure: trace 0 the similar pairs, trace 1 the dissimilar ones, each named with its number of
        pairs. Each pair is three entries of x and y: the first sample, the second, then None (a gap).

    Raises:
        DataError: No pairs, sides of other shapes, non-finite values, or labels/hover of another length.
    """
    left = _checked_embeddings(left)
    right = _checked_embeddings(right)
    if left.shape != right.shape:
        raise DataError(
            f"both sides must have the same shape; received {left.shape} and {right.shape} embeddings"
        )
    n, k = left.shape
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    if labels.size != n:
        raise DataError(f"labels must have one entry per pair; received {labels.size} for {n} pairs")
    if hover is not None:
        hover = np.asarray(hover, dtype=object)
        if hover.shape != (n, 2):
            raise DataError(f"hover must be (n, 2), one text per sample of each pair; received {hover.shape}")
    coordinates, x_title, y_title = _projection(np.concatenate((left, right)))
    ends = np.stack((coordinates[:n], coordinates[n:]), axis=1)  # (n, 2 sides, 2 axes)

    scatter = go.Scattergl if 2 * n > WEBGL_POINTS else go.Scatter
    figure = go.Figure()
    similar_mask = labels == SIMILAR
    for name, mask, colour in (
        ("similar", similar_mask, SIMILAR_COLOUR),
        ("dissimilar", ~similar_mask, DISSIMILAR_COLOUR),
    ):
        count = int(mask.sum())
        # x1, x2, None per pair: one trace draws every pair of a kind as separate segments.
        x = np.full((count, 3), None, dtype=object)
        y = np.full((count, 3), None, dtype=object)
        x[:, :2], y[:, :2] = ends[mask, :, 0], ends[mask, :, 1]
        text = None
        if hover is not None:
            text = np.full((count, 3), None, dtype=object)
            text[:, :2] = np.vectorize(plotly_text, otypes=[object])(hover[mask])
            text = text.reshape(-1)
        figure.add_trace(
            scatter(
                x=x.reshape(-1),
                y=y.reshape(-1),
                mode="lines+markers",
                name=f"{name} pairs (n={count:,})",
                text=text,
                hovertemplate=_point_hover(f"{name} pair", hover is not None),
                line={"color": colour, "width": 1},
                marker={"color": colour, "size": 5},
                opacity=0.6,
            )
        )
    return _projected_layout(
        figure, title or f"Pairs in embedding space {_pca_of(k)}", x_title, y_title, "pair label"
    )


def confusion_figure(metrics: ThresholdMetrics) -> go.Figure:
    """An annotated heatmap of the 2x2 confusion matrix, actual classes down, predicted across.

    Args:
        metrics: Metrics at a threshold.

    Returns:
        The figure: one heatmap whose cells show the count and the share of all pairs.
    """
    matrix = metrics.confusion_matrix()
    total = int(matrix.sum())
    names = [["true similar", "missed similar"], ["false similar", "true dissimilar"]]
    text = [
        [
            f"{names[i][j]}<br>{int(matrix[i, j]):,}" + (f" ({matrix[i, j] / total:.1%})" if total else "")
            for j in range(2)
        ]
        for i in range(2)
    ]
    figure = go.Figure(
        go.Heatmap(
            z=matrix,
            x=["predicted similar", "predicted dissimilar"],
            y=["actually similar", "actually dissimilar"],
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hovertemplate="%{y}, %{x}: %{z}<extra></extra>",
        )
    )
    figure.update_layout(
        title=f"Confusion matrix at threshold {format_distance(metrics.threshold)}",
        yaxis_autorange="reversed",
    )
    return figure


def reliability_figure(metrics: CalibrationMetrics) -> go.Figure:
    """The reliability diagram of probabilities of "similar": per bin of predicted probability, the mean
    prediction against the observed share of similar pairs, with the pairs each bin holds.

    Args:
        metrics: From `siamese_core.calibration.calibration_metrics` (or `EvalResult.calibration`).

    Returns:
        The figure: trace 0 the diagonal of perfect calibration, trace 1 the bins (x mean predicted, y
        observed share, text and hover their pair counts), trace 2 the pairs per bin as bars on a second
        axis. The title gives the expected calibration error and the Brier score.
    """
    table = metrics.reliability
    figure = go.Figure()
    figure.add_trace(_diagonal("perfectly calibrated"))
    counts = table["pairs"].to_numpy()
    figure.add_trace(
        go.Scatter(
            x=table["mean_predicted"],
            y=table["observed_similar"],
            customdata=np.column_stack([table["bin_low"], table["bin_high"], counts]),
            mode="lines+markers+text",
            name="p_similar",
            text=[f"{count:,}" for count in counts],
            textposition="top left",
            marker={"color": SIMILAR_COLOUR, "size": 9},
            line={"color": SIMILAR_COLOUR},
            hovertemplate=(
                "p_similar %{customdata[0]:.1f} to %{customdata[1]:.1f}: %{customdata[2]:,} pairs<br>"
                "mean predicted %{x:.3f}<br>observed share similar %{y:.3f}<extra></extra>"
            ),
        )
    )
    figure.add_trace(
        go.Bar(
            x=(table["bin_low"] + table["bin_high"]) / 2,
            y=counts,
            width=1 / metrics.bins,
            name="pairs per bin",
            yaxis="y2",
            marker={"color": SIMILAR_COLOUR, "opacity": 0.15},
            hovertemplate="%{y:,} pairs<extra></extra>",
        )
    )
    figure.update_layout(
        title=f"Reliability of p_similar (ECE {metrics.ece:.4f}, Brier {metrics.brier:.4f})",
        xaxis={"title": "predicted probability of similar (mean of the bin)", "range": [0, 1]},
        yaxis={"title": "observed share of similar pairs", "range": [0, 1.02]},
        yaxis2={
            "title": "pairs",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
        },
        legend={"x": 0.02, "y": 0.98},
    )
    return figure


def contributions_figure(contributions, top: int = 15) -> go.Figure:
    """The features that make two samples different: each one's share of their distance, as bars.

    Args:
        contributions: A table with `feature` and `contribution` columns, largest first (as
            `SiameseBundle.compare` gives it).
        top: How many features to draw, the first of the table.

    Returns:
        A horizontal bar chart, the largest contribution on top.
    """
    shown_rows = contributions.head(top)
    figure = go.Figure(
        go.Bar(
            x=shown_rows["contribution"][::-1],
            y=[plotly_text(feature) for feature in shown_rows["feature"][::-1]],  # user names, as written
            orientation="h",
        )
    )
    figure.update_layout(
        xaxis_title="contribution to the distance",
        height=60 + 24 * len(shown_rows),
        margin=dict(l=10, r=10, t=10, b=40),
    )
    return figure
