"""Hypothesis strategies shared by the property tests of configs."""

from __future__ import annotations

from hypothesis import strategies as st

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
"""Values of every JSON shape that no config key expects."""
