"""The dashboard: `streamlit run dashboard/app.py`.

A router only: each page lives in `dashboard/views/` and renders by calling `siamese_core`.
TensorFlow is imported when a page first needs a model, so the first page paints without it.
A running training (`dashboard.training_job`) is shown on every page: below Data & training's Train
button, at the top of the others.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import training_job  # noqa: E402
from dashboard.state import keep_widget_values  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"


def main() -> None:
    st.set_page_config(page_title="Siamese similarity", page_icon=":material/compare_arrows:", layout="wide")
    pages = [
        st.Page(
            VIEWS / "data_train.py", title="Data & training", icon=":material/model_training:", default=True
        ),
        st.Page(VIEWS / "evaluate.py", title="Evaluate", icon=":material/insights:"),
        st.Page(VIEWS / "compare.py", title="Compare two samples", icon=":material/compare_arrows:"),
        st.Page(VIEWS / "compare_models.py", title="Compare models", icon=":material/balance:"),
        st.Page(VIEWS / "duplicates.py", title="Find duplicates", icon=":material/content_copy:"),
        st.Page(VIEWS / "model.py", title="Model files & scoring", icon=":material/save:"),
    ]
    keep_widget_values()
    training_job.adopt_finished()
    page = st.navigation(pages)
    training_page = page is pages[0]
    if not training_page:
        training_job.render_progress(curve=False)
    page.run()
    if training_page:  # below the Train button, the page's last part while training
        training_job.render_progress(curve=True)


main()
