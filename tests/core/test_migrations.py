from __future__ import annotations

import pytest
from sqlalchemy import inspect

from citybase.db import downgrade, make_engine, migration_state, upgrade
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_migrations_up_down_up(backend_name: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every domain branch applies, reverts and re-applies on a fresh database."""
    if backend_name == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        name = None
    else:
        url, name = create_postgres_database()
        engine = make_engine(url)
    try:
        upgrade(engine)
        state = migration_state(engine)
        assert state["up_to_date"] is True
        tables = set(inspect(engine).get_table_names())
        assert {"identity_user", "identity_department", "audit_record", "audit_head"} <= tables
        downgrade(engine, "base")
        assert "identity_user" not in set(inspect(engine).get_table_names())
        upgrade(engine)
        assert migration_state(engine)["up_to_date"] is True
    finally:
        engine.dispose()
        if name:
            drop_postgres_database(name)


def test_models_match_migrations(engine) -> None:  # type: ignore[no-untyped-def]
    """Autogenerate finds nothing to add: ORM models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from citybase.db import Base
    from citybase.plugins import load_all_models

    load_all_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    interesting = [d for d in diff if not (isinstance(d, tuple) and d[0] in ("remove_table",))]
    assert interesting == [], interesting
