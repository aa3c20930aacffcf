"""dashboard/state.py: a visitor's model and threshold, in a real Streamlit session (AppTest)."""

from streamlit.testing.v1 import AppTest

from siamese_core.bundle import load_model


def _set_threshold_then_download():
    """A visitor's uploaded model; the threshold set on Evaluate, when one is chosen; the bytes that the
    Model files page's download button serves."""
    import streamlit as st

    from dashboard import state

    if state.bundle() is None:
        state.set_model(st.session_state["uploaded"], source="uploaded")
    if "chosen" in st.session_state:
        state.set_threshold(st.session_state["chosen"])
    st.session_state["shown"] = state.threshold()
    st.session_state["downloaded"] = state.model_bytes()


def test_the_threshold_the_visitor_sets_is_the_one_the_downloaded_model_keeps(model_file):
    """The model file keeps its own threshold until the visitor sets another; then the threshold shown and
    the one in the downloaded file (read back with `load_model`) are exactly the one set."""
    own = load_model(model_file).threshold
    chosen = own + 0.25
    at = AppTest.from_function(_set_threshold_then_download, default_timeout=120)
    at.session_state["uploaded"] = load_model(model_file)
    at.run()
    assert not at.exception
    assert at.session_state["shown"] == own
    assert load_model(at.session_state["downloaded"]).threshold == own
    at.session_state["chosen"] = chosen
    at.run()
    assert not at.exception
    assert at.session_state["shown"] == chosen
    assert at.session_state["bundle"].threshold == chosen
    assert load_model(at.session_state["downloaded"]).threshold == chosen
