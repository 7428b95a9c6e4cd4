"""``/api/v1/keys`` (admin): create, list and revoke API keys; ``/api/v1/me``: who am I."""

from __future__ import annotations

from fastapi import APIRouter

from wattswitch.api.auth import Admin, Caller
from wattswitch.api.routes.common import KeyId, StoreDep
from wattswitch.api.schemas import KeyCreate, KeyCreated, KeyInfo
from wattswitch.store import repo
from wattswitch.store.models import ApiKeyRow

router = APIRouter(tags=["keys"])


@router.get("/me", response_model=KeyInfo, summary="The calling key")
def me(who: Caller, store: StoreDep) -> KeyInfo:
    with store.read() as session:
        return KeyInfo.model_validate(repo.get(session, ApiKeyRow, who.key_id, "API key"))


@router.post("/keys", response_model=KeyCreated, status_code=201, summary="Create a key (secret shown once)")
def create_key(body: KeyCreate, _who: Admin, store: StoreDep) -> KeyCreated:
    with store.write() as session:
        row, secret = repo.create_key(session, body.name, body.role, body.tenant_id)
        return KeyCreated(key=KeyInfo.model_validate(row), secret=secret)


@router.get("/keys", response_model=list[KeyInfo], summary="Every key (never the secrets)")
def list_keys(_who: Admin, store: StoreDep) -> list[KeyInfo]:
    with store.read() as session:
        return [KeyInfo.model_validate(r) for r in repo.list_keys(session)]


@router.delete("/keys/{key_id}", response_model=KeyInfo, summary="Revoke a key")
def revoke_key(key_id: KeyId, _who: Admin, store: StoreDep) -> KeyInfo:
    with store.write() as session:
        row = repo.get(session, ApiKeyRow, key_id, "API key")
        if row.role == "admin" and row.revoked_at is None and repo.count_live_admin_keys(session) <= 1:
            raise repo.StateError("this is the last admin key; create another before revoking it")
        return KeyInfo.model_validate(repo.revoke_key(session, key_id))
