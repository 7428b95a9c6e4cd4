"""Site files: units, round trip, and a clear error naming the field for every bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattswitch.data.site_file import load_site, parse_site_toml, save_site
from wattswitch.errors import InputError
from wattswitch.model.site_assessment import SiteAssessment

SITES = Path(__file__).parents[1] / "fixtures" / "sites"
EXAMPLES = Path(__file__).parents[2] / "examples" / "sites"
BASE = (SITES / "mining-site.toml").read_text()


def _parse(old: str, new: str) -> SiteAssessment:
    assert old in BASE
    return parse_site_toml(BASE.replace(old, new, 1), "site.toml")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_example_sites_load(path: Path) -> None:
    assert load_site(path).name


@pytest.mark.parametrize(
    ("old", "new", "field", "value"),
    [
        ("energised_mw = 100.0", 'energised_mw = "0.1 GW"', ("power", "energised_mw"), 100.0),
        ("energised_mw = 100.0", 'energised_mw = "100,000 kW"', ("power", "energised_mw"), 100.0),
        ("acres = 200.0", 'acres = "80 ha"', ("land", "acres"), 80 * 2.471053814671653),
        ("power_price_usd_per_mwh = 35.0", 'power_price_usd_per_mwh = "0.035 $/kWh"',
         ("power", "power_price_usd_per_mwh"), 35.0),
        ("latency_to_metro_ms = 10.0", 'latency_to_metro_ms = "0.01 s"', ("network", "latency_to_metro_ms"),
         10.0),
        ("available_m3_per_day = 10000.0", 'available_m3_per_day = "1,000,000 gal/day"',
         ("water", "available_m3_per_day"), 3785.411784),
        ("rack_power_kw = 15.0", 'rack_power_kw = "15 kW"', ("facility", "rack_power_kw"), 15.0),
    ],
)
def test_quantities_with_units_convert_to_the_key_unit(old: str, new: str, field: tuple[str, str],
                                                       value: float) -> None:
    site = _parse(old, new)
    assert getattr(getattr(site, field[0]), field[1]) == pytest.approx(value)


def test_fiber_distance_in_km() -> None:
    site = _parse("dark_fiber = true", 'dark_fiber = false\nfiber_distance_miles = "16.09344 km"')
    assert site.network.fiber_distance_miles == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("acres = 200.0\n", "", r"site.toml: site.land.acres: missing"),
        ("energised_mw = 100.0", "energised_mw = -5.0",
         r"site.power: power.energised_mw: must be a number ≥ 0"),
        ("energised_mw = 100.0", 'energised_mw = "100 MVA"',
         r"site.power.energised_mw: unknown unit 'MVA' in '100 MVA'; expected one of MW, kW, GW"),
        ("energised_mw = 100.0", 'energised_mw = "lots"', r"site.power.energised_mw: got 'lots'"),
        ("acres = 200.0", 'acres = "200 furlongs"', r"site.land.acres: unknown unit 'furlongs'"),
        ("energised_mw = 100.0", "energised_mw = 100.0\nenergised_kw = 3.0",
         r"site.power: unknown key\(s\) energised_kw"),
        ('cooling = "air"', 'cooling = "fans"', r"facility.cooling: 'fans' is not one of air"),
        ("dark_fiber = true", 'dark_fiber = "yes"',
         r"site.network.dark_fiber: got 'yes'; expected true or false"),
        ("count = 20000", "count = 200000", r"site.fleet: the fleet draws 700.0 MW, more than the 100 MW"),
        ("count = 20000", "count = 0", r"site.fleet\[0\]: fleet Antminer S21.count: must be a whole number"),
        ('model = "Antminer S21"', 'model = "Mystery 9000"', r"fleet Mystery 9000.model: not in the catalog"),
        ("dark_fiber = true", "dark_fiber = false", r"network.fiber_distance_miles: needed"),
        ("energised_mw = 100.0", "energised_mw = 100.0\napproved_mw = 50.0",
         r"power.approved_mw: 50 MW is less"),
        ("latency_to_metro_ms = 10.0", "latency_to_metro_ms = -1.0", r"network.latency_to_metro_ms"),
        ('interconnect_status = "energised"', 'interconnect_status = "soon"',
         r"power.interconnect_status: 'soon'"),
        ("[[fleet]]", "[plan]\ndiscount_rate = 1.5\n\n[[fleet]]",
         r"site.plan: plan.discount_rate: must be in"),
        ("[[fleet]]", "[plan]\nconvert_mw = 500.0\n\n[[fleet]]", r"site.plan.convert_mw: 500 MW exceeds"),
        ("[[fleet]]", '[plan]\ngpu_model = "TPU"\n\n[[fleet]]', r"plan.gpu_model: 'TPU' is not one of"),
        ("[[fleet]]", "[plan]\nphases = 0\n\n[[fleet]]", r"plan.phases: must be a whole number in 1–10"),
        ('name = "Fixture 100"\n', "", r"site.name: missing"),
    ],
)
def test_bad_site_files_name_the_field(old: str, new: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _parse(old, new)


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\n[power\n')
    with pytest.raises(InputError, match=r"broken.toml: not valid TOML .*line 2"):
        load_site(path)


def test_missing_file() -> None:
    with pytest.raises(InputError, match="no such file"):
        load_site(SITES / "nope.toml")


def test_round_trip_through_toml(tmp_path: Path) -> None:
    site = load_site(EXAMPLES / "red-river-120.toml")
    path = tmp_path / "site.toml"
    save_site(site, path)
    assert load_site(path) == site
    assert [p.name for p in tmp_path.iterdir()] == ["site.toml"]
