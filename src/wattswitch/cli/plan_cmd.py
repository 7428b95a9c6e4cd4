"""``wattswitch plan SITE.toml ...``: plan the conversion of mining sites to AI and rank them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from wattswitch import json_safe
from wattswitch.cli import plan_render
from wattswitch.cli.options import check_output_file
from wattswitch.cli.render import print_all, print_table, print_text
from wattswitch.data.io import write_text_atomic
from wattswitch.data.site_file import load_site
from wattswitch.economics.planning.plan import SitePlan, plan_site
from wattswitch.economics.planning.portfolio import rank_sites
from wattswitch.errors import InputError
from wattswitch.report.plan_data import plan_to_dict, portfolio_to_dict
from wattswitch.report.plan_report import render_plan_report


def _load_all(paths: list[Path]) -> list[SitePlan]:
    """Validate every file first (so a bad one fails fast), then plan each site."""
    seen: dict[str, Path] = {}
    sites = []
    for path in paths:
        site = load_site(path)
        if site.name in seen:
            raise InputError(str(path), f"site name {site.name!r} is also used by {seen[site.name]}",
                             field="site.name", expected="a different name for each site")
        seen[site.name] = path
        sites.append(site)
    return [plan_site(site) for site in sites]


def _print_full(console: Console, plan: SitePlan, path: Path) -> None:
    print_text(console, f"[bold]Site file:[/] {escape(str(path))}")
    print_text(console, plan_render.site_header(plan), indent=2)
    for line in plan_render.feasibility_lines(plan):
        print_text(console, line, indent=4)
    console.print()
    tables = [plan_render.unit_economics_table(plan), plan_render.capex_table(plan),
              plan_render.timeline_table(plan), plan_render.strategies_table(plan)]
    if plan.tornado:
        tables.append(plan_render.tornado_table(plan))
    tables.append(plan_render.valuation_table(plan))
    if plan.financing:
        tables.append(plan_render.financing_table(plan))
    print_all(console, tables)


def plan(
    sites: Annotated[
        list[Path], typer.Argument(metavar="SITE.toml", help="Site TOML files (see examples/sites/).")
    ],
    capex_budget_usd: Annotated[
        float | None,
        typer.Option("--capex-budget-usd", metavar="USD", min=0,
                     help="Rank sites and fund conversions within this capex (default: no budget)."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE", help="Write a self-contained HTML report (charts inline)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Every table for every site (the default for one site).")
    ] = False,
) -> None:
    """Plan converting mining sites to AI: feasibility, capex, timeline, cash flows, value, ranking."""
    if report is not None:
        check_output_file(report, "--report")
    plans = _load_all(sites)
    portfolio = rank_sites(plans, capex_budget_usd)
    if report is not None:
        ranked = len(plans) > 1 or capex_budget_usd is not None
        write_text_atomic(report, render_plan_report(plans, portfolio if ranked else None))
    if as_json:
        payload = {"sites": [plan_to_dict(p) for p in plans], "portfolio": portfolio_to_dict(portfolio)}
        typer.echo(json_safe.dumps(payload, indent=2))
        return
    console = Console()
    if len(plans) == 1 or full:
        for path, site_plan in zip(sites, plans, strict=True):
            _print_full(console, site_plan, path)
    else:
        print_text(console, f"[bold]Site files:[/] {escape(', '.join(str(p) for p in sites))}", indent=4)
        for site_plan in plans:
            print_text(console, plan_render.site_header(site_plan), indent=2)
            for line in plan_render.feasibility_lines(site_plan):
                if not line.lstrip().startswith("upgrade"):
                    print_text(console, line, indent=4)
        console.print()
        print_table(console, plan_render.summary_table(plans))
        console.print()
    if len(plans) > 1 or capex_budget_usd is not None:
        print_table(console, plan_render.portfolio_table(portfolio))
    if report is not None:
        print_text(console, f"wrote report to {escape(str(report))}")
