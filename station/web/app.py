"""The dashboard: a Starlette application over a :class:`~station.store.reader.StoreReader`.

Each page asks the store for its figures and hands them to a template; nothing here counts,
decides or writes. Pages are plain functions: Starlette runs them in its thread pool, and each
store call is one short read-only transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from station.store.csvexport import csv_chunks
from station.store.errors import SchemaError, StoreInputError, StoreUnavailableError
from station.store.line_status import SILENT_AFTER, STALE_AFTER
from station.store.reader import SEARCH_LIMIT, StoreReader
from station.store.report_records import EXPORT_COLUMNS, MEASUREMENT_EXPORT_COLUMNS, ReportFilter
from station.store.views import Bucket, Liveness, MeasurementKind
from station.web import charts
from station.web.access import AccessGuard
from station.web.params import BadRequest, Filters, bucket, export_query, number, text
from station.web.settings import DashboardSettings

TEMPLATES = Path(__file__).parent / "templates"
#: the Failures page's window when none is given
FAILURES_SPAN = timedelta(days=7)
#: sockets silent for longer than this are folded away on the Line page
GONE_AFTER = timedelta(days=7)
#: failed attempts listed behind a Pareto bar
BEHIND_LIMIT = 200
DEFAULT_POINTS = 100
MAX_POINTS = 2000


def pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f} %"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


class Dashboard:
    """The pages, bound to one reader and its settings."""

    def __init__(self, reader: StoreReader, settings: DashboardSettings) -> None:
        self.reader = reader
        self.settings = settings
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html", "svg"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            local=self.local,
            ago=self.ago,
            pct=pct,
            fmt=charts.fmt,
            seconds=seconds,
            svg=charts.to_svg,
        )

    # ---- formatting -----------------------------------------------------------------------

    def local(self, moment: datetime) -> str:
        return self.reader.plan.local(moment).strftime("%Y-%m-%d %H:%M:%S")

    def ago(self, moment: datetime) -> str:
        gone = (self.reader.now() - moment).total_seconds()
        if gone < 0:
            return "in the future (clock difference)"
        if gone < 90:
            return f"{gone:.0f} s ago"
        if gone < 90 * 60:
            return f"{gone / 60:.0f} min ago"
        if gone < 48 * 3600:
            return f"{gone / 3600:.1f} h ago"
        return f"{gone / 86400:.0f} days ago"

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        now = self.reader.now()
        local_now = self.reader.plan.local(now)
        base = {
            "where": self.reader.where,
            "zone": f"{local_now.tzname()} (UTC{local_now:%z})",
            "made": local_now.strftime("%Y-%m-%d %H:%M:%S"),
            "emulated": self.reader.include_emulated,
        }
        html = self.env.get_template(name).render(**base, **context)
        return HTMLResponse(html, status_code=status_code)

    def _filters(self, request: Request) -> Filters:
        return Filters.read(request.query_params, self.reader.plan)

    def _choices(self) -> dict[str, Any]:
        return {"stations": self.reader.stations(), "recipes": self.reader.recipes()}

    # ---- pages -------------------------------------------------------------------------------

    def line(self, request: Request) -> Response:
        status = self.reader.line()
        gone = [
            s
            for s in status.sockets
            if s.liveness is Liveness.SILENT
            and (s.last_seen is None or status.now - s.last_seen > GONE_AFTER)
        ]
        shift = ReportFilter(since=status.shift_start, until=status.shift_end)
        return self.render(
            "line.html",
            page="line",
            status=status,
            active=[s for s in status.sockets if s not in gone],
            gone=gone,
            gone_days=GONE_AFTER.days,
            stale_min=int(STALE_AFTER.total_seconds() // 60),
            silent_min=int(SILENT_AFTER.total_seconds() // 60),
            refresh_s=self.settings.refresh_s,
            export_query=export_query(shift),
        )

    def yields(self, request: Request) -> Response:
        f = self._filters(request)
        series = self.reader.yields(bucket(request.query_params), f.report())
        return self.render(
            "yield.html",
            page="yield",
            f=f,
            series=series,
            buckets=list(Bucket),
            chart=charts.yield_chart(series.points),
            export_query=export_query(series.filters),
            **self._choices(),
        )

    def failures(self, request: Request) -> Response:
        f = self._filters(request).with_default_since(self.reader.now() - FAILURES_SPAN)
        report = f.report()
        pareto = self.reader.failures(report)
        code = text(request.query_params, "code")
        step = text(request.query_params, "step")
        behind = []
        if code is not None or step is not None:
            behind = self.reader.failed_attempts(report, code=code, step=step, limit=BEHIND_LIMIT)
        chosen = " · ".join(
            x for x in (f"code {code}" if code else "", f"step {step}" if step else "") if x
        )
        end = f.until or self.reader.now()
        assert f.since is not None
        return self.render(
            "failures.html",
            page="failures",
            f=f,
            pareto=pareto,
            window=f"{self.local(f.since)[:16]} to {self.local(end)[:16]}",
            by_code=charts.pareto_chart(
                pareto.by_code,
                title="Failures by code",
                link=lambda key: f"/failures{f.query(code=key, step=None)}#packs",
            ),
            by_step=charts.pareto_chart(
                pareto.by_step,
                title="Failures by step",
                link=lambda key: f"/failures{f.query(step=key, code=None)}#packs",
            ),
            chosen=chosen,
            behind=behind,
            limit=BEHIND_LIMIT,
            export_query=export_query(report),
            **self._choices(),
        )

    def spc(self, request: Request) -> Response:
        f = self._filters(request)
        report = f.report()
        points = number(request.query_params, "points", DEFAULT_POINTS, 2, MAX_POINTS)
        kinds = self.reader.measurement_kinds(report)
        name = text(request.query_params, "measurement") or (kinds[0].name if kinds else None)
        chart = found = None
        if name is not None:
            found = self.reader.spc(report, name, points=points)
            chart = charts.individuals_chart(
                found, link=lambda serial: f"/pack/{quote(serial, safe='')}", local=self.local
            )
            if all(k.name != name for k in kinds):  # asked for by name: keep it in the list
                kinds = [*kinds, MeasurementKind(name, found.unit, 0, False)]
        signals = [(i, p) for i, p in enumerate(found.points) if p.rules] if found else []
        return self.render(
            "spc.html",
            page="spc",
            f=f,
            kinds=kinds,
            spc=found,
            chart=chart,
            points=points,
            signals=signals,
            out_of_spec=sum(p.out_of_spec for p in found.points) if found else 0,
            export_query=export_query(report),
            **self._choices(),
        )

    def pack(self, request: Request) -> Response:
        serial = request.path_params.get("serial")
        asked = serial if serial is not None else (text(request.query_params, "serial") or "")
        trace = self.reader.trace(asked) if asked else None
        found: list[str] = []
        if asked and trace is None:
            found = self.reader.find_serials(asked)
            if len(found) == 1:
                trace = self.reader.trace(found[0])
            elif serial is not None and not found:
                message = f"Pack {asked} is not in this database: check the serial."
                return self._problem(404, "Unknown pack", message, "/pack")
        return self.render(
            "pack.html",
            page="pack",
            asked=asked,
            trace=trace,
            found=found,
            limit=SEARCH_LIMIT,
            show_all=request.query_params.get("all") == "1",
            export_query=export_query(ReportFilter(serial=trace.serial)) if trace else "",
        )

    # ---- exports ------------------------------------------------------------------------------

    def _export_filter(self, params: Mapping[str, str]) -> ReportFilter:
        return replace(
            Filters.read(params, self.reader.plan).report(), serial=text(params, "serial")
        )

    def export_attempts(self, request: Request) -> Response:
        f = self._export_filter(request.query_params)
        return self._csv("attempts", csv_chunks(EXPORT_COLUMNS, self.reader.export(f)))

    def export_measurements(self, request: Request) -> Response:
        f = self._export_filter(request.query_params)
        rows = self.reader.export_measurements(f)
        return self._csv("measurements", csv_chunks(MEASUREMENT_EXPORT_COLUMNS, rows))

    def _csv(self, what: str, chunks: Any) -> Response:
        stamp = self.reader.plan.local(self.reader.now()).strftime("%Y%m%d-%H%M%S")
        return StreamingResponse(
            chunks,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{what}-{stamp}.csv"'},
        )

    # ---- problems -----------------------------------------------------------------------------

    def _problem(self, status: int, heading: str, message: str, back: str) -> HTMLResponse:
        return self.render(
            "problem.html", status_code=status, page="", heading=heading, message=message, back=back
        )

    def problem(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 404:
            return self._problem(
                404, "No such page", f"There is no page at {request.url.path}.", "/"
            )
        if isinstance(exc, StoreUnavailableError):
            message = (
                f"The database at {exc.where} cannot be reached ({exc.reason}). The dashboard "
                f"only reads it: nothing was changed. Check {exc.check}, then reload this page."
            )
            return self._problem(503, "The database cannot be read", message, str(request.url))
        if isinstance(exc, SchemaError):
            message = f"{exc} (the dashboard only reads the database: nothing was changed)"
            return self._problem(503, "The database cannot be read", message, str(request.url))
        return self._problem(400, "That cannot be shown", str(exc), request.url.path)


def create_app(reader: StoreReader, settings: DashboardSettings | None = None) -> Starlette:
    """The dashboard over ``reader``, behind the access rules of ``settings``."""
    settings = settings or DashboardSettings()
    d = Dashboard(reader, settings)
    routes = [
        Route("/", d.line, methods=["GET"]),
        Route("/yield", d.yields, methods=["GET"]),
        Route("/failures", d.failures, methods=["GET"]),
        Route("/spc", d.spc, methods=["GET"]),
        Route("/pack", d.pack, methods=["GET"]),
        Route("/pack/{serial:path}", d.pack, methods=["GET"]),
        Route("/export/attempts.csv", d.export_attempts, methods=["GET"]),
        Route("/export/measurements.csv", d.export_measurements, methods=["GET"]),
    ]
    handlers: dict[Any, Any] = {
        404: d.problem,
        BadRequest: d.problem,
        StoreInputError: d.problem,
        StoreUnavailableError: d.problem,
        SchemaError: d.problem,
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.add_middleware(AccessGuard, token=settings.token, user=settings.user)
    return app
