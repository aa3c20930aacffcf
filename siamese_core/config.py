"""Training settings, free of TensorFlow so that forms and parsers can use them before it loads."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields

from siamese_core.errors import ConfigError

AUTO_BATCH = "auto"
AUTO_MAX_BATCH, AUTO_MIN_BATCH, AUTO_MIN_STEPS = 512, 32, 32  # see TrainConfig.batch_size_for
ACTIVATIONS = ("relu", "gelu", "elu", "selu", "tanh", "swish", "leaky_relu")
SCALINGS = ("auto", "per_feature", "global", "none")


@dataclass
class TrainConfig:
    """Settings of the network and of its training.

    Attributes:
        hidden: Sizes of the encoder's hidden layers. Two of 256 (then the embedding layer): on pairs of
            unseen samples they separated better than three of 128 on the large row of
            `bench/bench_quality.py` and as well on the small ones (see bench/README.md).
        embedding_dim: Size of the embedding.
        activation: Activation of the hidden layers.
        dropout: Dropout rate after each hidden layer, in [0, 1).
        epochs: Most passes over the training pairs.
        batch_size: Pairs per gradient step, or "auto": 512, or less on small data sets so that an epoch
            has at least 32 steps (the largest power of two from 32 to 512 that does; see
            `batch_size_for`).
        learning_rate: Adam's learning rate.
        margin: Contrastive margin m > 0: dissimilar pairs are pushed at least this far apart.
        seed: Seed of weights, shuffling and dropout; the same seed and data give the same losses on CPU.
        validation_fraction: Share of pairs held out for validation when a split is made from the data.
        early_stopping_patience: Epochs without a better validation ROC AUC (ties: validation loss)
            before stopping (0: never). The AUC rather than the loss: on pairs of unseen samples the loss
            starts rising while the ranking still improves, and the ranking is what a user gets
            (measured with `bench/bench_quality.py`, see bench/README.md); the best epoch's weights are
            kept.
        scaling: Feature scaling learned from the training samples and stored in the model:
            "per_feature" standardises each feature; "global" centres each feature and divides all by
            the largest deviation from the mean, so values lie in [-1, 1] and keep their relative sizes
            (features in one unit, such as pixels or embedding dimensions); "none" leaves features as
            they are; "auto" picks "global" when every feature's range is within 10x of the smaller
            ranges (the 10th percentile) and "per_feature" otherwise. Measured on digits pairs, "global"
            reaches 0.999 held-out AUC where "per_feature" reaches 0.995.
        max_seconds: Stop training after this many seconds (the best weights so far are kept); None
            for no limit.
    """

    hidden: tuple[int, ...] = (256, 256)
    embedding_dim: int = 128
    activation: str = "relu"
    dropout: float = 0.0
    epochs: int = 40
    batch_size: int | str = "auto"
    learning_rate: float = 3e-3
    margin: float = 1.0
    seed: int = 0
    validation_fraction: float = 0.15
    early_stopping_patience: int = 10
    scaling: str = "auto"
    max_seconds: float | None = None

    def __post_init__(self):
        self.hidden = tuple(int(units) for units in self.hidden)
        auto_batch = self.batch_size == AUTO_BATCH
        checks = [
            (all(units >= 1 for units in self.hidden), "hidden sizes must each be >= 1", "hidden"),
            (self.embedding_dim >= 1, "embedding_dim must be >= 1", "embedding_dim"),
            (
                self.activation in ACTIVATIONS,
                f"activation must be one of {', '.join(ACTIVATIONS)}",
                "activation",
            ),
            (0 <= self.dropout < 1, "dropout must be in [0, 1)", "dropout"),
            (self.epochs >= 1, "epochs must be >= 1", "epochs"),
            (
                auto_batch or (_is_whole(self.batch_size) and self.batch_size >= 1),
                f"batch_size must be a whole number >= 1 or {AUTO_BATCH!r}",
                "batch_size",
            ),
            (
                self.learning_rate > 0 and math.isfinite(self.learning_rate),
                "learning_rate must be > 0",
                "learning_rate",
            ),
            (self.margin > 0 and math.isfinite(self.margin), "margin must be > 0", "margin"),
            (
                0 <= self.validation_fraction < 0.9,
                "validation_fraction must be in [0, 0.9)",
                "validation_fraction",
            ),
            (
                self.early_stopping_patience >= 0,
                "early_stopping_patience must be >= 0",
                "early_stopping_patience",
            ),
            (0 <= self.seed < 2**32, "seed must be in [0, 2**32)", "seed"),
        ]
        for ok, message, name in checks:
            if not ok:
                raise ConfigError(f"{message}. Received: {name}={getattr(self, name)!r}")

    def batch_size_for(self, n_pairs: int) -> int:
        """The batch size training `n_pairs` pairs uses: `batch_size`, or the "auto" choice.

        "auto" is 512 (the fastest per pair here: 60% of the machine's matrix-multiply rate, against
        45% at 256) unless an epoch would then have fewer than `AUTO_MIN_STEPS` steps; it is then the
        largest power of two from 32 that gives that many. Measured on digits pairs
        (`bench/bench_quality.py`): at 9,790 pairs, batch 512 (19 steps) reached held-out AUC 0.981 to
        0.992 after one epoch over three seeds and 256 (38 steps) 0.991 to 0.998; at 4,964 pairs, 512
        reached 0.96 and 128 (38 steps) 0.99; at 35,690 pairs every size reached 0.999.
        """
        if self.batch_size != AUTO_BATCH:
            return int(self.batch_size)
        batch = AUTO_MAX_BATCH
        while batch > AUTO_MIN_BATCH and n_pairs < batch * AUTO_MIN_STEPS:
            batch //= 2
        return batch

    def to_dict(self) -> dict:
        config = asdict(self)
        config["hidden"] = list(self.hidden)
        return config

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """A config from a dict, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})


def parse_hidden_sizes(text: str) -> tuple[int, ...]:
    """Hidden layer sizes as a person types them, comma-separated: "128,64" gives (128, 64).

    Empty parts are skipped, so "" gives (); the sizes are not checked here: `TrainConfig` refuses sizes
    below 1, and each interface says in its own words (a flag, a control) what an empty list lacks.

    Raises:
        ValueError: A part is not a whole number.
    """
    return tuple(int(part) for part in text.split(",") if part.strip())


def _is_whole(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
