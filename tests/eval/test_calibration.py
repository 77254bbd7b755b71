"""Choosing constants: the grid's combinations and the choice among tied configurations."""

from __future__ import annotations

import pytest

from index.eval.calibration import configurations, plateau_choice
from index.search.searcher import SearchConfig


def test_configurations_cover_the_grid_with_each_value_on_its_own_field():
    grid = {"period_weight": (0.1, 0.5), "dense_weight": (0.6, 0.7, 0.8)}
    found = configurations(SearchConfig(), grid)
    assert len(found) == 6
    assert [(c.period_weight, c.dense_weight) for c in found[:3]] == [(0.1, 0.6), (0.1, 0.7), (0.1, 0.8)]


def test_a_grid_name_that_is_no_setting_is_refused():
    with pytest.raises(ValueError, match="rrf_k"):
        configurations(SearchConfig(), {"rrf_k": (10.0,)})


def test_among_tied_configurations_the_centre_of_the_plateau_is_chosen():
    # One axis: 0.80 at positions 1-4; position 1 sits at the plateau's edge, 2 and 3 inside it.
    scores = [0.70, 0.80, 0.80, 0.80, 0.80, 0.60]
    assert plateau_choice(scores, (6,)) == 2
    # Two axes (3 x 3): the best is unique, whatever its neighbours.
    assert plateau_choice([0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1], (3, 3)) == 5
    # Two axes (2 x 4): three tied in the first row; the middle one has the best neighbourhood.
    grid = [0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5]
    assert plateau_choice(grid, (2, 4)) == 1
