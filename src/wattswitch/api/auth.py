"""API keys (header ``X-API-Key``) and roles.

| role | may |
|---|---|
| admin | everything, including keys and tenants |
| operator | create sites, scenarios, runs, plans; meter usage; submit jobs; read everything |
| analyst | read everything (no keys) |
| tenant | read its own tenant, usage, jobs and the runs shared with it; submit its own jobs |

A tenant key asking for another tenant's things gets 404, as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader

from wattswitch.store import repo
from wattswitch.store.db import Store

HEADER = "X-API-Key"
READERS = ("admin", "operator", "analyst")
WRITERS = ("admin", "operator")
ADMINS = ("admin",)

_scheme = APIKeyHeader(
    name=HEADER, auto_error=False, description="An API key; `wattswitch serve` prints the first one"
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name, role and (for tenant keys) tenant."""

    key_id: int
    name: str
    role: str
    tenant_id: int | None

    @property
    def reads_everything(self) -> bool:
        """Admin, operator and analyst read every site, run and tenant."""
        return self.role in READERS

    def may_see_tenant(self, tenant_id: int) -> bool:
        """True for readers, and for a tenant key of this very tenant."""
        return self.reads_everything or (self.role == "tenant" and self.tenant_id == tenant_id)


def store_of(request: Request) -> Store:
    """The app's store."""
    store: Store = request.app.state.store
    return store


def principal_for(store: Store, secret: str | None) -> Principal | None:
    """The principal of a key secret, or None when the key is missing, unknown or revoked."""
    if not secret or len(secret) > 200 or not secret.isascii():
        return None
    with store.read() as session:
        row = repo.key_for_secret(session, secret)
        if row is None:
            return None
        return Principal(row.id, row.name, row.role, row.tenant_id)


def current_principal(request: Request, secret: Annotated[str | None, Depends(_scheme)]) -> Principal:
    """The caller, or 401."""
    found = principal_for(store_of(request), secret)
    if found is None:
        raise HTTPException(
            401,
            f"missing or unknown API key (send it in the {HEADER} header)",
            headers={"WWW-Authenticate": HEADER},
        )
    return found


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting only the given roles (403 for the others)."""

    def check(who: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if who.role not in roles:
            raise HTTPException(403, f"role {who.role!r} may not do this (needs {' or '.join(roles)})")
        return who

    return check


Caller = Annotated[Principal, Depends(current_principal)]
Reader = Annotated[Principal, Depends(require(*READERS))]
Writer = Annotated[Principal, Depends(require(*WRITERS))]
Admin = Annotated[Principal, Depends(require(*ADMINS))]
