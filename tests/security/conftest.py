"""The adversarial tests meet the same real service as tests/api: its fixtures, shared by name."""

from tests.api.conftest import desk_served, desk_served_module, postgres_url, store_url  # noqa: F401
