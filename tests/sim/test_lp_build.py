"""The dispatch LP's cached matrix and row bounds are exactly what the ``define_*`` steps build."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from test_engine_properties import random_site

from wattswitch.dispatch import lp
from wattswitch.sim.engine import SimulatedSite


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_site(), st.integers(1, 48), st.floats(0.0, 1.0), st.floats(0.0, 50.0))
def test_cached_matrix_and_bounds_match_the_builder(
    site: SimulatedSite, length: int, on_before: float, backlog: float
) -> None:
    inputs, model = site.inputs, site.site
    w = lp.Window(
        price_usd_per_mwh=inputs.rt_price_usd_per_mwh[:length],
        hashprice_usd_per_ph_day=inputs.hashprice_usd_per_ph_day[:length],
        inference_load_fraction=inputs.inference_load_fraction[:length],
        training_arrivals_node_hours=inputs.training_arrivals_node_hours[:length],
        power_cap_mw=site.schedule.power_cap_mw[:length],
        four_cp_usd_per_mw=site.schedule.four_cp_usd_per_mw[:length],
        on_fraction_before=np.full(model.asic_count, on_before),
        backlog_before_node_hours=backlog,
    )
    lay = lp._Layout(model.asic_count, length)
    base_mw = np.asarray(model.gpu_load_mw(w.inference_load_fraction, 0.0), dtype=float)
    b = lp._Builder()
    lp.define_mode_limits(b, lay)
    lp.define_startups(b, lay, w.on_fraction_before)
    lp.define_power_rows(b, model, lay, w, base_mw)
    lp.define_backlog(b, model, lay, w)
    expected = sparse.coo_matrix(
        (np.concatenate(b.vals), (np.concatenate(b.rows), np.concatenate(b.cols))),
        shape=(b.count, lay.columns),
    ).tocsc()
    for _ in range(2):  # built, then from the cache
        indptr, indices, values, rows = lp.constraint_matrix(model, lay, w, base_mw)
        assert rows == b.count
        np.testing.assert_array_equal(indptr, expected.indptr)
        np.testing.assert_array_equal(indices, expected.indices)
        np.testing.assert_array_equal(values, expected.data)
    lower, upper = lp.row_bounds(model, lay, w, base_mw)
    np.testing.assert_array_equal(lower, np.concatenate(b.lower))
    np.testing.assert_array_equal(upper, np.concatenate(b.upper))
