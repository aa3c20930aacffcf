"""Write the example CSVs from scikit-learn's digits (run from the repository root).

    python examples/make_examples.py

Writes, next to this script:
- digits_pairs.csv: a wide pair CSV (label, a_px0..a_px63, b_px0..b_px63; 0 = similar, 1 = dissimilar);
- digits_samples.csv: a labeled-samples CSV (id, digit, px0..px63);
- digits_reference_pairs.csv: pairs by reference (id_a, id_b, label) into digits_samples.csv.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from siamese_core.demo import digits_pairs_frame, digits_reference_pairs_frame, digits_samples_frame

HERE = Path(__file__).resolve().parent


def main() -> None:
    files = {
        "digits_pairs.csv": digits_pairs_frame(),
        "digits_samples.csv": digits_samples_frame(),
        "digits_reference_pairs.csv": digits_reference_pairs_frame(),
    }
    for name, frame in files.items():
        frame.to_csv(HERE / name, index=False)
        print(f"wrote {HERE / name}: {len(frame):,} rows x {frame.shape[1]} columns")


if __name__ == "__main__":
    main()
