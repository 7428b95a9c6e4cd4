"""The API tests' world and client, from the module-wide ``service_world`` (tests/conftest.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service_testing import World


@pytest.fixture(scope="module")
def world(service_world: tuple[World, TestClient]) -> World:
    return service_world[0]


@pytest.fixture(scope="module")
def client(service_world: tuple[World, TestClient]) -> TestClient:
    return service_world[1]
