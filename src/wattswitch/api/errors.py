"""Every error the API returns has one shape, ``{"detail": "...", "errors": [{"field", "message"}]}``,
and names the field at fault where there is one."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from wattswitch.api.run_admission import TooManyRuns
from wattswitch.errors import InputError, ModelError
from wattswitch.store.repo import Conflict, NotFound, StateError


class FieldError(BaseModel):
    """One problem with one field of the request."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """What every 4xx answer carries."""

    detail: str
    errors: list[FieldError] = []


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body cannot be read (not UTF-8 JSON)"},
    401: {"model": ErrorBody, "description": "No or unknown API key (header X-API-Key)"},
    403: {"model": ErrorBody, "description": "The key's role may not do this"},
    404: {"model": ErrorBody, "description": "No such thing (or not visible to this key)"},
    409: {
        "model": ErrorBody,
        "description": "Conflicts with what is stored (duplicate name, run not finished)",
    },
    413: {"model": ErrorBody, "description": "The body is larger than the server takes (not read)"},
    415: {"model": ErrorBody, "description": "The body is not JSON (Content-Type: application/json)"},
    422: {"model": ErrorBody, "description": "The request is invalid; `errors` names each field"},
}
TOO_MANY_RUNS: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": "Too many runs queued or running (for everyone or for this key); see Retry-After",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    }
}


def error_response(
    status: int, detail: str, errors: list[FieldError] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON error answer in the common shape."""
    body = ErrorBody(detail=detail, errors=errors or [])
    return JSONResponse(status_code=status, content=body.model_dump(), headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        source, rest = parts[0], parts[1:]
        return ".".join(rest) if rest else source
    return ".".join(parts)


def _clean(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def install(app: FastAPI) -> None:
    """Register the handlers that turn known errors into 4xx answers."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        unreadable = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if unreadable:  # not JSON at all: 400, whatever the broken character (never a field "9")
            where = unreadable[0].get("loc", ())
            at = f" at character {where[-1]}" if where and isinstance(where[-1], int) else ""
            reason = _clean(str(unreadable[0].get("ctx", {}).get("error", "invalid JSON")))
            message = f"the body is not valid JSON{at}: {reason}"
            return error_response(400, message, [FieldError(field="body", message=message)])
        errors = [
            FieldError(
                field=_clean(_location(tuple(e.get("loc", ())))), message=_clean(str(e.get("msg", "")))
            )
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5]) or "invalid request"
        return error_response(422, summary, errors)

    @app.exception_handler(InputError)
    async def _input(_request: Request, exc: InputError) -> JSONResponse:
        field = exc.field or exc.source
        message = exc.problem + ("" if exc.expected is None else f"; expected {exc.expected}")
        return error_response(
            422, _clean(str(exc)), [FieldError(field=_clean(field), message=_clean(message))]
        )

    @app.exception_handler(ModelError)
    async def _model(_request: Request, exc: ModelError) -> JSONResponse:
        return error_response(422, _clean(str(exc)))

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return error_response(409, _clean(str(exc)))

    @app.exception_handler(StateError)
    async def _state(_request: Request, exc: StateError) -> JSONResponse:
        return error_response(409, _clean(str(exc)))

    @app.exception_handler(TooManyRuns)
    async def _too_many(_request: Request, exc: TooManyRuns) -> JSONResponse:
        return error_response(429, str(exc), headers={"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(allowed_methods(request.scope))
        return error_response(exc.status_code, _clean(str(exc.detail)), headers=headers or None)


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some route accepts on the scope's path (OPTIONS included), sorted.

    Each method is probed through the routes' own ``matches`` (FastAPI nests included routers, so
    the flat route list does not hold every path)."""
    allowed = {"OPTIONS"}
    routes = scope["app"].router.routes
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        probe = {**scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in routes):
            allowed.add(method)
    return sorted(allowed)
